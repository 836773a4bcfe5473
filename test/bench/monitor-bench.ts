// The monitor part of the benchmark: from pid 1 killed to its STOPPED event in a long-lived
// watcher (as the tray), with 1 and with 100 running sandboxes, and the watcher's CPU time while
// nothing happens. Runs in the benchmark's process and XDG folders (bench.ts), or on its own:
// `node dist/test/bench/monitor-bench.js` makes a scratch environment of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, show, stat, type Stat } from './measure.js';

export interface MonitorFigures {
  sandboxes: number;
  initKilledToEventMs: Stat;
  /** CPU time of the watching process while idle, in % of one core. */
  idleCpuPercent: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Measures with the sandbox `name` (created already) and `others` more running beside it. */
export async function monitorBench(say: (line?: string) => void, name: string, rounds: number, counts: number[] = [1, 100]): Promise<MonitorFigures[]> {
  const { createSandbox } = await import('../../helpers/lifecycle/create.js');
  const { startSandbox } = await import('../../helpers/lifecycle/start.js');
  const { stopSandbox } = await import('../../helpers/lifecycle/stop.js');
  const { deleteSandbox } = await import('../../helpers/lifecycle/delete.js');
  const { sandboxState } = await import('../../helpers/runtime/state.js');
  const { watchStates } = await import('../../helpers/inspect/monitor.js');
  const out: MonitorFigures[] = [];
  const extra: string[] = [];
  try {
    for (const count of counts) {
      while (extra.length < count - 1) {
        const n = `mon-${extra.length + 1}`;
        await createSandbox(n, { profiles: [] });
        extra.push(n);
        await startSandbox(n);
      }
      if (sandboxState(name).state !== 'RUNNING') await startSandbox(name);
      const lat: number[] = [];
      let waiting: ((t: number) => void) | null = null;
      const w = watchStates((e) => {
        if (e.name === name && e.state === 'STOPPED' && waiting) waiting(performance.now());
      });
      try {
        // Idle: every sandbox running, nothing changing.
        await sleep(500);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await sleep(5000);
        const c = process.cpuUsage(c0);
        const idleCpuPercent = round(((c.user + c.system) / 1000 / (performance.now() - t0)) * 100, 3);
        for (let i = 0; i < rounds; i++) {
          if (sandboxState(name).state !== 'RUNNING') await startSandbox(name);
          await sleep(150);
          const pid = sandboxState(name).runtime!.init!.pid;
          const seen = new Promise<number>((resolve) => (waiting = resolve));
          const k0 = performance.now();
          process.kill(pid, 'SIGKILL');
          lat.push((await seen) - k0);
          waiting = null;
        }
        out.push({ sandboxes: count, initKilledToEventMs: stat(lat), idleCpuPercent });
        say(`monitor, pid 1 killed to its STOPPED event (${count} running): ${show(stat(lat))}; idle watcher ${idleCpuPercent}% of a core`);
      } finally {
        w.close();
      }
    }
  } finally {
    for (const n of extra) {
      await stopSandbox(n, { force: true }).catch(() => undefined);
      await deleteSandbox(n, { force: true }).catch(() => undefined);
    }
  }
  return out;
}

// On its own: a scratch environment, one sandbox, BENCH_ROUNDS rounds (10) per count.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-monbench-'));
  Object.assign(process.env, {
    XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_STATE_HOME: path.join(dir, 'state'), XDG_RUNTIME_DIR: path.join(dir, 'run'),
  });
  fs.mkdirSync(process.env['XDG_RUNTIME_DIR']!, { mode: 0o700 });
  const { createSandbox } = await import('../../helpers/lifecycle/create.js');
  const { stopSandbox } = await import('../../helpers/lifecycle/stop.js');
  const { deleteSandbox } = await import('../../helpers/lifecycle/delete.js');
  const counts = (process.env['BENCH_MONITOR_COUNTS'] ?? '1,100').split(',').map(Number);
  try {
    await createSandbox('bench', { profiles: [] });
    const figures = await monitorBench((l = '') => console.log(l), 'bench', Number(process.env['BENCH_ROUNDS'] ?? 10), counts);
    if (process.argv.includes('--json')) console.log(JSON.stringify(figures));
  } finally {
    await stopSandbox('bench', { force: true }).catch(() => undefined);
    await deleteSandbox('bench', { force: true }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
