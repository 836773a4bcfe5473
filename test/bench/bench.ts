// npm run bench: start-up cost of a sandbox, as ratios against the raw unshare+bwrap chain in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { BIN, ROOT } from '../lib/sandtray.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(label: string, fn: () => Promise<unknown>, runs = RUNS): Promise<number> {
  await fn(); // warm-up: page cache, lazily loaded modules
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const m = median(times);
  console.log(`${label.padEnd(58)} median ${m.toFixed(1).padStart(7)} ms  (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}, n=${runs})`);
  return m;
}

async function main(): Promise<void> {
  if (process.getuid?.() === 0) {
    console.error('Run the benchmark as an ordinary user: Sandtray is for unprivileged users.');
    process.exit(1);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-bench-'));
  const env: Record<string, string> = {
    XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_STATE_HOME: path.join(dir, 'state'), XDG_RUNTIME_DIR: path.join(dir, 'run'),
  };
  fs.mkdirSync(env['XDG_RUNTIME_DIR']!, { mode: 0o700 });
  Object.assign(process.env, env);
  const { createSandbox } = await import('../../helpers/lifecycle/create.js');
  const { startSandbox, planSandbox } = await import('../../helpers/lifecycle/start.js');
  const { stopSandbox } = await import('../../helpers/lifecycle/stop.js');
  const { deleteSandbox } = await import('../../helpers/lifecycle/delete.js');
  await createSandbox('bench', { profiles: [] });

  console.log(`Sandtray start-up benchmark (${os.cpus().length} cores, ${os.release()}, node ${process.version})\n`);
  // The raw chain: unshare with the same id map, bwrap with the same namespaces and mounts, running `true`.
  const { plan } = await planSandbox('bench');
  const { mountArgs } = await import('../../helpers/plan/build.js');
  const { unshareMapArgs } = await import('../../helpers/idmap/map.js');
  const { writeEtc } = await import('../../helpers/runtime/launch.js');
  writeEtc(plan, path.join(env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'bench', 'etc'));
  const argv = ['--user', ...unshareMapArgs(plan.idmap), '--', 'bwrap', '--unshare-pid', '--unshare-uts', '--unshare-ipc', '--unshare-cgroup-try', '--unshare-net',
    '--hostname', plan.hostname, '--new-session', ...mountArgs(plan.mounts), '--', '/usr/bin/true'];
  const raw = await timeIt('raw unshare+bwrap chain running true', () => execa('unshare', argv, { stdin: 'ignore' }));

  const warm = await timeIt('warm start: startSandbox() in a long-lived process', async () => {
    await startSandbox('bench');
    await stopSandbox('bench', { force: true });
  });
  // Stop is measured alone so the start figure can be taken apart from it.
  const stopOnly: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await startSandbox('bench');
    const t = performance.now();
    await stopSandbox('bench', { force: true });
    stopOnly.push(performance.now() - t);
  }
  const stop = median(stopOnly);
  console.log(`${'  of which stop --force'.padEnd(58)} median ${stop.toFixed(1).padStart(7)} ms`);
  const startOnly = warm - stop;

  const cliEnv = { ...process.env, ...env };
  const coldBin = await timeIt('cold CLI: node bin/sandtray.js run -- true', () => execa(process.execPath, [BIN, 'run', '--', 'true'], { env: cliEnv, stdin: 'ignore' }), Math.min(RUNS, 10));
  const coldNpx = await timeIt('cold CLI: npx sandtray run -- true', () => execa('npx', ['--no-install', 'sandtray', 'run', '--', 'true'], { env: cliEnv, cwd: ROOT, stdin: 'ignore' }), Math.min(RUNS, 10));

  console.log('\nRatios against the raw chain (same run):');
  console.log(`  warm start (start only)            ${(startOnly / raw).toFixed(2)}x   (target: within 1.5x)`);
  console.log(`  warm start + stop                  ${(warm / raw).toFixed(2)}x`);
  console.log(`  cold CLI run -- true (node)        ${(coldBin / raw).toFixed(2)}x`);
  console.log(`  cold CLI run -- true (npx)         ${(coldNpx / raw).toFixed(2)}x`);

  await deleteSandbox('bench', { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
