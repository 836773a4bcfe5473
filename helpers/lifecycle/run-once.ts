// run: one command in a throw-away sandbox, as one plan executed once.
//
// No record, no start, attach, stop and delete: the profile is expanded in memory, the plan's
// payload is the command (pid 1 is the enter step, the command its only child: confine/enter.ts),
// and the sandbox's state lives in a folder of its own under the runtime folder's ".runs" (a name
// no sandbox can take, so `list` and `monitor` never see it). bwrap's monitor and pid 1 die with
// this process, even by SIGKILL (parent-death signals, runtime/launch-step.ts and enter.ts); what a
// killed run leaves (its folder, an id lease, a pasta) is collected by the next run, once the
// process named in the folder's owner file is gone.
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { SandtrayError, asSandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { randomHex } from '../core/random.js';
import { Revert } from '../core/revert.js';
import { removeStatePath } from '../core/trust.js';
import { readHostFacts } from '../host/facts.js';
import { isAlive, selfId, type ProcId } from '../host/proc.js';
import { assignIdMap, releaseIds } from '../idmap/assign.js';
import { buildPlan, type Plan } from '../plan/build.js';
import { WAYLAND_INSIDE } from '../plan/graphics.js';
import { checkProfileOnHost } from './host-checks.js';
import { cliRuntime, planInputs } from './plan-inputs.js';
import { expandRecord } from '../profile/resolve.js';
import type { Layer, Profile } from '../profile/schema.js';
import { networkDriver } from './network-drivers.js';
import type { HelperProc } from '../network/driver.js';
import { stopLeftoverHelpers } from '../network/helper-proc.js';
import { launch } from '../runtime/launch.js';
import { writeEtc } from '../runtime/launch.js';
import { killRecorded } from '../runtime/kill.js';
import { logEvent } from '../runtime/log.js';
import { checkName, ensurePrivateDir, type SandboxDirs } from '../runtime/store.js';
import { exampleMounts } from './create.js';
import { Interrupts } from './interrupt.js';
import { shQuote } from '../attach/quote.js';

export interface RunOnceOptions {
  profiles: string[];
  overrides?: Omit<Layer, 'apiVersion'> | null;
  /** The command; null: the profile's command (by default a login shell). */
  command: string[] | null;
  /** The caller's terminal size, when it has one: the command gets a terminal inside (terminalPayload). */
  terminal?: { rows: number; cols: number };
  /** Added to the sandbox's environment (the caller's TERM). */
  env?: Record<string, string>;
  paths?: Paths;
  cwd?: string;
  /** Hears the expanded profile before anything runs (the CLI prints its risks). */
  onProfile?: (profile: Profile) => void | Promise<void>;
}

/** The running one-off sandbox, handed to the caller, which relays stdio and forwards signals. */
export interface RunningOnce {
  name: string;
  /** bwrap's monitor: its stdin, stdout and stderr are the command's; its exit is the command's. */
  child: ChildProcess;
  init: ProcId;
  /** Starts the command (until then it waits, with the network set up). */
  go(): void;
  /** Tears down what is left (network helpers, the folder, the lease); call once the child exited. */
  finish(): Promise<void>;
}

/** What a profile needs that only the full lifecycle provides; null when a one-off launch fits. */
export function needsLifecycle(profile: Profile, plan?: Plan): string | null {
  const driver = networkDriver(profile.network.mode);
  if (profile.network.mode === 'vpn' || driver.secrets) return 'a VPN profile';
  if (plan?.busProxy) return 'a filtered D-Bus proxy';
  if (plan?.mounts.some((m) => m.target === WAYLAND_INSIDE && 'source' in m)) return 'a Wayland display';
  return null;
}

/** script(1) running argv on a terminal of the given size, as attach runs a command on a terminal. */
export function terminalPayload(argv: readonly string[], size: { rows: number; cols: number }): string[] {
  const ok = Number.isInteger(size.rows) && Number.isInteger(size.cols) && size.rows > 0 && size.cols > 0;
  return ['/usr/bin/script', '--quiet', '--return', '--command', `${ok ? `stty rows ${size.rows} cols ${size.cols} 2>/dev/null; ` : ''}exec ${argv.map(shQuote).join(' ')}`, '/dev/null'];
}

/** Thrown when the profile needs the full lifecycle (the caller then takes it); nothing was made. */
export class NeedsLifecycle extends SandtrayError {
  readonly fallback = true;
  constructor(why: string) {
    super('WRONG_STATE', `A one-off launch cannot provide ${why}`);
  }
}

interface Owner {
  owner: ProcId;
  name: string;
  lease: boolean;
  init: ProcId | null;
  monitor: ProcId | null;
  helpers: HelperProc[];
}

/** The folder of one-off sandboxes; each holds owner.json, etc/ and the network helpers' files. */
export function runsDir(paths: Paths): string {
  return path.join(paths.runtime, '.runs');
}

function dirsOf(folder: string): SandboxDirs {
  return {
    data: path.join(folder, 'data'), record: path.join(folder, 'none.json'), home: path.join(folder, 'home'),
    etc: path.join(folder, 'etc'), runtime: folder, stateFile: path.join(folder, 'state.json'),
    exitFile: path.join(folder, 'exit.json'), lock: path.join(folder, 'lock'), log: path.join(folder, 'log'),
  };
}

function writeOwner(folder: string, o: Owner): void {
  const tmp = path.join(folder, '.owner.tmp');
  fs.writeFileSync(tmp, JSON.stringify(o), { mode: 0o600 });
  fs.renameSync(tmp, path.join(folder, 'owner.json'));
}

/**
 * Collects what runs whose process is gone (killed by SIGKILL, a crash) left behind: their
 * processes, network helpers, id lease and folder. Cheap when there is nothing to collect.
 */
export async function collectRuns(paths: Paths = sandtrayPaths()): Promise<number> {
  const dir = runsDir(paths);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names) {
    const folder = path.join(dir, name);
    let o: Owner | null = null;
    try {
      o = JSON.parse(fs.readFileSync(path.join(folder, 'owner.json'), 'utf8')) as Owner;
    } catch {
      // A run killed before it wrote its owner file: made more than a minute ago, it is dead.
      try {
        if (Date.now() - fs.statSync(folder).mtimeMs < 60_000) continue;
      } catch {
        continue;
      }
    }
    if (o && isAlive(o.owner)) continue;
    if (o) {
      await stopLeftoverHelpers(o.helpers);
      await killRecorded({ init: o.init, monitor: o.monitor, helpers: o.helpers });
      if (o.lease) await releaseIds(o.name, paths).catch(() => undefined);
    }
    removeStatePath(folder);
    n++;
  }
  return n;
}

/**
 * Plans and launches a one-off sandbox whose payload is the command. Returns once the command may
 * start; the caller relays stdio, calls go(), waits for the child's exit, then finish(). Throws
 * NeedsLifecycle (nothing made) for a profile only the full lifecycle can run.
 */
export async function launchOnce(opts: RunOnceOptions): Promise<RunningOnce> {
  const paths = opts.paths ?? sandtrayPaths();
  const name = `run-${randomHex(4)}`;
  checkName(name);
  let overrides = opts.overrides ?? null;
  const fromExamples = exampleMounts(opts.profiles, opts.cwd ?? process.cwd(), paths, new Set((overrides?.mounts ?? []).map((m) => m.target)));
  if (fromExamples.length) overrides = { ...overrides, mounts: [...fromExamples, ...(overrides?.mounts ?? [])] };
  const { profile } = expandRecord({ name, profiles: opts.profiles, overrides: overrides && Object.keys(overrides).length ? overrides : null }, paths);
  checkProfileOnHost(profile);
  const early = needsLifecycle(profile);
  if (early) throw new NeedsLifecycle(early);
  await opts.onProfile?.(profile);

  const interrupts = new Interrupts('The run');
  const revert = new Revert();
  const folder = path.join(runsDir(paths), name);
  const dirs = dirsOf(folder);
  const own: Owner = { owner: selfId(), name, lease: false, init: null, monitor: null, helpers: [] };
  try {
    ensurePrivateDir(paths.runtime);
    ensurePrivateDir(runsDir(paths));
    // What earlier runs killed midway left behind is collected while this run's launch chain
    // starts (the launch then only waits on its processes); first when this run leases ids, which
    // a dead run may still hold. Never its own folder: the owner file names this live process.
    const early = profile.idmap.mode === 'isolated';
    if (early) await collectRuns(paths);
    fs.mkdirSync(folder, { mode: 0o700 });
    revert.add('remove the run folder', () => {
      removeStatePath(folder);
    });
    writeOwner(folder, own);
    const facts = readHostFacts();
    const assigned = await assignIdMap(profile, facts, { name, paths, takeLease: true, sizeIsDefault: false });
    if (assigned.leaseTaken) {
      own.lease = true;
      writeOwner(folder, own);
      revert.add('release id lease', () => releaseIds(name, paths));
    }
    const planDirs = { etcDir: dirs.etc, homeDir: dirs.home, busSocket: path.join(folder, 'bus') };
    // With a terminal, script(1) inside runs the command (by default the profile's, as the plan
    // says) on a pseudo-terminal of the sandbox's own devpts, sized as the caller's.
    const inputs = planInputs(profile, assigned.map);
    const runtime = profile.nesting ? cliRuntime() : null;
    const payload = opts.terminal ? terminalPayload(opts.command ?? buildPlan(name, profile, inputs, facts, planDirs, { runtime }).command, opts.terminal) : opts.command;
    const plan = buildPlan(name, profile, inputs, facts, planDirs, { runtime, payload: { argv: payload } });
    const late = needsLifecycle(profile, plan);
    if (late) throw new NeedsLifecycle(late);
    plan.env = { ...plan.env, ...(opts.env ?? {}) };
    if (profile.home === 'private') fs.mkdirSync(dirs.home, { recursive: true, mode: 0o700 });
    writeEtc(plan, dirs.etc);
    interrupts.check();
    revert.add('stop sandbox processes', () => killRecorded(own));
    const launching = launch(plan, dirs.log, dirs.exitFile, {
      // Kept in memory only: they die with this process (parent-death signals); the owner file
      // needs to name only what outlives it (a lease, network helpers).
      onMonitor: (monitor) => {
        own.monitor = monitor;
        interrupts.check();
      },
      onInit: (init, monitor) => {
        own.init = init;
        own.monitor = monitor;
        interrupts.check();
      },
    }, true);
    // Its failure is taken below, after the collection; handled now, so that it is never reported unhandled meanwhile.
    launching.catch(() => undefined);
    // An error of the collection fails the run as before, once the launch is over (the revert then ends it).
    const collected = early ? null : await collectRuns(paths).then(() => null, (err: unknown) => err);
    const launched = await launching;
    if (collected) throw collected;
    interrupts.check();
    const driver = networkDriver(plan.network.mode);
    const onHelper = (h: HelperProc): void => {
      own.helpers = [...own.helpers, h];
      writeOwner(folder, own);
    };
    own.helpers = await driver.setup({ name, profile, dirs, init: launched.init, revert, log: (m) => logEvent(dirs.log, m), onHelper });
    if (own.helpers.length) writeOwner(folder, own);
    revert.add('tear down network', () => driver.teardown(own.helpers, dirs));
    interrupts.check();
    revert.success();
    const child = launched.child;
    let finished = false;
    return {
      name,
      child,
      init: launched.init,
      go: () => {
        const stdin = child.stdin as Writable | null;
        stdin?.write('go\n');
      },
      finish: async () => {
        if (finished) return;
        finished = true;
        await driver.teardown(own.helpers, dirs).catch(() => undefined);
        await killRecorded(own);
        if (own.lease) await releaseIds(name, paths).catch(() => undefined);
        removeStatePath(folder);
      },
    };
  } catch (err) {
    let tail = '';
    try {
      tail = fs.readFileSync(dirs.log, 'utf8').split('\n').slice(-6).join('\n');
    } catch {
      // no log
    }
    const failures = await revert.run();
    if (err instanceof NeedsLifecycle) throw err;
    const e = asSandtrayError(err, 'Start failed');
    const left = failures.length ? `\nCleanup problems: ${failures.join('; ')}` : '';
    throw new SandtrayError('START_FAILED', `Cannot run the command: ${e.message}${left}${tail.trim() ? `\nLast log lines:\n${tail.trim()}` : ''}`, e.hint && !e.hint.includes('sandtray log') ? e.hint : 'Run `sandtray doctor` to check the host.', err);
  } finally {
    interrupts.done();
  }
}
