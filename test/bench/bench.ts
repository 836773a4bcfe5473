// npm run bench [-- --json]: what a sandbox costs, each figure beside a baseline measured in the
// same interleaved rounds (A B A B, the order swapped every round), given as the median of the
// per-round differences and ratios, never as a ratio of medians taken apart. Not a test: nothing
// here passes or fails. With --json the text goes to stderr and stdout gets one JSON object.
//
// BENCH_ROUNDS (default 20) rounds of start-up, BENCH_COLD_ROUNDS (default 15) of each cold
// command, BENCH_VPN=0 to leave out the VPN section, BENCH_ONLY=startup for the start-up section alone,
// BENCH_PREPARED=0 for warm starts of an engine that keeps no launch step prepared.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../lib/sandtray.js';
import { mustRun, paired, residentParts, round, show, showResident, stat, type Run } from './measure.js';
import { monitorBench } from './monitor-bench.js';
import { vpnBench } from './vpn-bench.js';

const JSON_OUT = process.argv.includes('--json');
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 20);
const COLD_ROUNDS = Number(process.env['BENCH_COLD_ROUNDS'] ?? 15);
const STARTUP_ONLY = process.env['BENCH_ONLY'] === 'startup';
const PREPARED = process.env['BENCH_PREPARED'] !== '0';
const say = (line = ''): void => void (JSON_OUT ? process.stderr : process.stdout).write(`${line}\n`);

function version(argv: string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
  } catch {
    return 'absent';
  }
}

function have(tool: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, tool)));
}

const TMPFS_MAGIC = 0x01021994;

function onTmpfs(dir: string): boolean {
  try {
    return fs.statfsSync(dir).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? '?',
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    node: process.version,
    bwrap: version(['bwrap', '--version']),
    utilLinux: version(['unshare', '--version']),
    perl: version(['perl', '-e', 'print "perl $^V"']),
    loadAverageAtStart: os.loadavg().map((x) => round(x)),
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() === 0) {
    console.error('Run the benchmark as an ordinary user: Sandtray is for unprivileged users.');
    process.exit(1);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-bench-'));
  // The runtime folder on a tmpfs, as XDG_RUNTIME_DIR is on a desktop (/run/user/UID): on a disk
  // file system every rename over the runtime record starts a write-back (ext4's
  // auto_da_alloc), which no user's start pays.
  const runtimeBase = [process.env['XDG_RUNTIME_DIR'], '/dev/shm'].find((d) => d && onTmpfs(d));
  const runDir = runtimeBase ? fs.mkdtempSync(path.join(runtimeBase, 'sandtray-bench-')) : path.join(dir, 'run');
  const env: Record<string, string> = {
    XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_STATE_HOME: path.join(dir, 'state'), XDG_RUNTIME_DIR: runDir,
  };
  fs.mkdirSync(runDir, { mode: 0o700, recursive: true });
  fs.chmodSync(runDir, 0o700);
  Object.assign(process.env, env);
  const { createSandbox } = await import('../../helpers/lifecycle/create.js');
  const { startSandbox, planSandbox } = await import('../../helpers/lifecycle/start.js');
  const { stopSandbox } = await import('../../helpers/lifecycle/stop.js');
  const { deleteSandbox } = await import('../../helpers/lifecycle/delete.js');
  const { sandboxState } = await import('../../helpers/runtime/state.js');
  const { bindByDescriptor } = await import('../../helpers/runtime/mount-safety.js');
  const { stepBase } = await import('../../helpers/runtime/launch.js');
  const { keepPreparedSteps, preparedStepReady } = await import('../../helpers/runtime/prepared.js');

  const out: Record<string, unknown> = { machine: machine() };
  const m = out['machine'] as ReturnType<typeof machine>;
  say(`Sandtray benchmark: ${m.cpus} x ${m.cpuModel}, ${m.memoryMiB} MiB, Linux ${m.kernel}, node ${m.node}, ${m.bwrap}, ${m.utilLinux}`);
  say(`load average at the start: ${m.loadAverageAtStart.join(' ')} (figures on a busy machine are noisy; the paired ratios less so)`);
  say(`runtime folder: ${runtimeBase ? `on a tmpfs (${runtimeBase}), as on a desktop` : 'no tmpfs found: on the disk, which slows every start'}`);
  (out['machine'] as Record<string, unknown>)['runtimeOnTmpfs'] = !!runtimeBase;

  try {
    await createSandbox('bench', { profiles: [] });
    // One start first: it makes the sandbox's folders, which the raw chain binds too.
    await startSandbox('bench');
    await stopSandbox('bench', { force: true });

    // ---- Start-up: the sandbox chain beside the raw unshare+bwrap chain ----------------------
    // The raw chain: unshare with the plan's id map, then bwrap with the plan's options (namespaces,
    // hostname, every mount, environment) and a network namespace, running `true`. What Sandtray's
    // chain adds to it: the descriptor-closing step, two user-namespace holders and their id maps
    // (newuidmap/newgidmap), the mount sources opened as descriptors, the perl enter step (joins the
    // sandbox's own user namespace, makes the network namespace, lowers capabilities, loads the
    // seccomp filter, starts a keyring), and waiting until pid 1 has its SIGTERM handler.
    const { plan } = await planSandbox('bench');
    const end = plan.argv.indexOf('--');
    const opts = plan.argv.slice(1, end);
    const userns = opts.indexOf('--userns');
    if (userns >= 0) opts.splice(userns, 2);
    // The mount sources go as descriptors, as the launch passes them (runtime/mount-safety.ts):
    // the same bwrap options, opened afresh each round (a copied file is read to its end).
    // unshare (util-linux 2.38) maps the caller's id to 0 with --map-root-user and takes one
    // --map-users/--map-groups range: the plan's first subordinate range, enough for `true`.
    const mapArgs = (['uid', 'gid'] as const).flatMap((k) => plan.idmap[k].filter((l) => l.inside !== 0).slice(0, 1).map((l) => `--map-${k === 'uid' ? 'users' : 'groups'}=${l.outside},${l.inside},${l.count}`));
    const rawChain = (): { argv: string[]; fds: number[] } => {
      const b = bindByDescriptor(opts, 3);
      return { argv: ['unshare', '--user', ...mapArgs, '--map-root-user', '--', 'bwrap', '--unshare-net', ...b.opts, '--', '/usr/bin/true'], fds: b.fds };
    };
    const runRaw = async (): Promise<Run> => {
      const { argv, fds } = rawChain();
      try {
        return await mustRun(argv, { fds });
      } finally {
        for (const fd of fds) fs.closeSync(fd);
      }
    };
    await runRaw();
    const firejail = have('firejail') ? ['firejail', '--quiet', '--noprofile', '--net=none', '--private', '/usr/bin/true'] : null;
    if (firejail) await mustRun(firejail);

    const rawT: number[] = [];
    const startT: number[] = [];
    const stopT: number[] = [];
    const fjT: number[] = [];
    // As in the desktop, a long-lived engine: it keeps a launch step prepared (runtime/prepared.ts).
    // The next one is waited for outside the clock: it must not take a core from a measurement.
    if (PREPARED) keepPreparedSteps(stepBase);
    await preparedStepReady();
    const startOnce = async (): Promise<void> => {
      const t0 = performance.now();
      await startSandbox('bench');
      startT.push(performance.now() - t0);
      await preparedStepReady();
      const t1 = performance.now();
      await stopSandbox('bench', { force: true });
      stopT.push(performance.now() - t1);
    };
    const rawOnce = async (): Promise<void> => void rawT.push((await runRaw()).wall);
    const fjOnce = async (): Promise<void> => void (firejail && fjT.push((await mustRun(firejail)).wall));
    for (let r = 0; r < ROUNDS; r++) {
      const steps = [rawOnce, startOnce, fjOnce];
      for (const s of r % 2 ? steps.reverse() : steps) await s();
    }
    keepPreparedSteps(null);
    const startup: Record<string, unknown> = {
      rawChainMs: stat(rawT),
      warmStartMs: stat(startT),
      warmStartVsRaw: paired(rawT, startT),
      preparedLaunchStep: PREPARED,
      stopForceMs: stat(stopT),
      ...(firejail ? { firejailMs: stat(fjT), firejailVsRaw: paired(rawT, fjT) } : { firejail: 'not installed' }),
    };
    out['startup'] = startup;
    say(`\nStart-up, ${ROUNDS} interleaved rounds (median, min..max):`);
    say(`  raw unshare+bwrap chain running true              ${show(stat(rawT))}`);
    say(`  warm start: startSandbox() until pid 1 is ready   ${show(stat(startT))}${PREPARED ? '' : '  (no launch step prepared)'}`);
    say(`    paired: ${paired(rawT, startT).ratio.median.toFixed(2)}x the raw chain, +${paired(rawT, startT).diff.median.toFixed(1)} ms  (goal: 1.3x)`);
    say(`  stop --force                                      ${show(stat(stopT))}`);
    if (firejail) say(`  firejail --noprofile --net=none --private true    ${show(stat(fjT))}   paired: ${paired(rawT, fjT).ratio.median.toFixed(2)}x the raw chain`);
    else say('  firejail: not installed, not measured');

    if (!STARTUP_ONLY) {
      // ---- Cold CLI: each command beside `node -e 0`, exec also beside raw nsenter -------------
      await startSandbox('bench');
      const rt = sandboxState('bench').runtime!;
      const init = rt.init!.pid;
      const monitor = rt.monitor!.pid;
      const nsenter = ['nsenter', '--preserve-credentials', `--user=/proc/${monitor}/ns/user`, ...['mnt:mount', 'pid:pid', 'uts:uts', 'ipc:ipc', 'cgroup:cgroup', 'net:net'].map((x) => `--${x.split(':')[1]}=/proc/${init}/ns/${x.split(':')[0]}`), `--root=/proc/${init}/root`, `--wd=/proc/${init}/root`, '/usr/bin/true'];
      const nodeArgv = [process.execPath, '-e', '0'];
      const cli = (...args: string[]): string[] => [process.execPath, BIN, ...args];
      const commands: [string, string[], number][] = [
        ['help', cli('--help'), 50],
        ['list', cli('list'), 50],
        ['info', cli('info', 'bench'), 50],
        ['exec', cli('exec', 'bench', '--', 'true'), 50],
        ['run', cli('run', '--', 'true'), 80],
      ];
      for (const [, argv] of commands) await mustRun(argv);
      await mustRun(nsenter);
      const times: Record<string, Run[]> = { node: [], nsenter: [] };
      for (let r = 0; r < COLD_ROUNDS; r++) {
        for (const [name, argv] of commands) {
          const group: [string, string[]][] = [['node', nodeArgv], [name, argv], ...(name === 'exec' ? [['nsenter', nsenter] as [string, string[]]] : [])];
          for (const [k, a] of r % 2 ? group.reverse() : group) (times[k] ??= []).push(await mustRun(a));
        }
      }
      // node -e 0 ran beside each command: the pairs are those of the same round and command.
      const nodeBeside = (i: number): Run[] => times['node']!.filter((_, j) => j % commands.length === i);
      const cold: Record<string, unknown> = { rounds: COLD_ROUNDS, nodeMs: stat(times['node']!.map((x) => x.wall)), nodeCpuMs: stat(times['node']!.map((x) => x.cpu)) };
      say(`\nCold CLI (node ${BIN}), ${COLD_ROUNDS} interleaved rounds, each command beside \`node -e 0\`:`);
      say(`  node -e 0                                         ${show(stat(times['node']!.map((x) => x.wall)))}`);
      commands.forEach(([name, argv, goal], i) => {
        const base = nodeBeside(i);
        const mine = times[name]!;
        const p = paired(base.map((x) => x.wall), mine.map((x) => x.wall));
        const c = paired(base.map((x) => x.cpu), mine.map((x) => x.cpu));
        cold[name] = { argv: argv.slice(1).join(' '), wallMs: stat(mine.map((x) => x.wall)), cpuMs: stat(mine.map((x) => x.cpu)), vsNode: p, cpuVsNode: c, goalMsOverNode: goal };
        say(`  ${argv.slice(2).join(' ').padEnd(48)}  ${show(stat(mine.map((x) => x.wall)))}`);
        say(`    paired with node -e 0: +${p.diff.median.toFixed(1)} ms (goal +${goal}), ${p.ratio.median.toFixed(2)}x; CPU +${c.diff.median.toFixed(0)} ms`);
      });
      const ns = times['nsenter']!;
      const execVsNsenter = paired(ns.map((x) => x.wall), times['exec']!.map((x) => x.wall));
      cold['nsenter'] = { argv: nsenter.join(' '), wallMs: stat(ns.map((x) => x.wall)), execVsNsenter };
      say(`  raw nsenter into the same namespaces, running true ${show(stat(ns.map((x) => x.wall)))}`);
      say(`    exec paired with it: +${execVsNsenter.diff.median.toFixed(1)} ms`);
      out['cold'] = cold;

      // ---- Memory: what a sandbox keeps resident outside its payload ---------------------------
      const memoryOf = (name: string) => residentParts(sandboxState(name).runtime!);
      const memory: Record<string, unknown> = { app: memoryOf('bench') };
      await createSandbox('benchnat', { profiles: [], overrides: { network: { mode: 'nat' } } });
      await startSandbox('benchnat');
      // pasta is still filling its buffers (and has not yet made itself undumpable) right after the
      // start returns: a reading then is low. Measured once it has settled, as it stays.
      await new Promise((r) => setTimeout(r, 1500));
      memory['nat'] = memoryOf('benchnat');
      await stopSandbox('benchnat', { force: true });
      await deleteSandbox('benchnat', { force: true });
      out['memory'] = memory;
      say('\nResident outside the payload (PSS; RSS where a process hides its PSS from its user):');
      for (const [k, v] of Object.entries(memory) as [string, ReturnType<typeof memoryOf>][]) say(showResident(`${k} sandbox`, v));

      // ---- monitor: from pid 1 killed to the event, in a long-lived watcher (as the tray), with 1
      // and with 100 running sandboxes; and the idle watcher's CPU time (monitor-bench.ts) --------
      say('');
      out['monitor'] = await monitorBench(say, 'bench', Math.min(ROUNDS, 10));
    }
  } finally {
    await stopSandbox('bench', { force: true }).catch(() => undefined);
    await deleteSandbox('bench', { force: true }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(runDir, { recursive: true, force: true });
  }

  if (!STARTUP_ONLY && process.env['BENCH_VPN'] !== '0') out['vpn'] = await vpnBench(say);
  (out['machine'] as Record<string, unknown>)['loadAverageAtEnd'] = os.loadavg().map((x) => round(x));
  say(`\nload average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (JSON_OUT) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
