// A launch step started ahead of the start that will use it, for engines that live on (the desktop).
//
// A start spends about 5 ms before anything of the sandbox exists only to get the launch step
// going: Node forks itself to spawn it (its whole address space), then perl starts and compiles the
// step. A long-lived engine keeps one step spawned and compiled, waiting on its socket
// (runtime/launch-step.ts, prepared mode): a start takes it, sends it the holders' part of the plan
// as soon as the plan is made, so the user namespaces and their maps are made while the engine
// writes the runtime record and opens the mount sources, then sends the rest. The step opens the
// engine's descriptors again through /proc/ENGINE/fd (the same files, never a path looked up
// again) and goes on exactly as a freshly spawned step does. A new step is spawned shortly after
// each start, never during one.
//
// A waiting step holds nothing of any sandbox: at most an outer user namespace mapped as the last
// start's was, whose holders wait for a start to name the sandbox's own map and nesting limit, and
// no descriptor of the engine's but its own pipes. It ends when the engine does (its socket ends),
// or when the engine stops keeping one. The command-line tool never keeps one: it makes at most
// one start and exits.
import type { Readable } from 'node:stream';
import { spawnChild, type ChildProcess } from '../host/spawn-child.js';
import { launcherPrefix } from '../host/close-fds.js';
import { LAUNCH_ENV, LAUNCH_FDS } from '../plan/build.js';
import { ProgressLines } from '../idmap/userns.js';
import { PREPARED_FDS, preparedStepArgv, type StepBase, type StepMaps } from './launch-step.js';

export interface PreparedStep {
  child: ChildProcess;
  /** Lines of the step on its report socket; "p" (prepared) has been read or is the next one. */
  lines: ProgressLines;
  /** Resolves once the step said "p", or ended. */
  prepared: Promise<void>;
}

let keep: (() => StepBase) | null = null;
let spare: PreparedStep | null = null;
let refill: NodeJS.Timeout | null = null;
/** The outer map of the last start: the next step makes that namespace ahead. */
let lastMaps: StepMaps | null = null;

function spawnPrepared(base: StepBase): PreparedStep {
  // The installed launcher goes first where it is there, as for every launch (runtime/launch.ts).
  const argv = [...launcherPrefix(PREPARED_FDS.report), ...preparedStepArgv({ ...base, engine: process.pid, args: LAUNCH_FDS.args, env: LAUNCH_FDS.env, premap: lastMaps })];
  const stdio = ['ignore', 'ignore', 'ignore', 'pipe', 'ignore', 'ignore', 'ignore', 'pipe', 'pipe'] as const;
  const child = spawnChild(argv[0]!, argv.slice(1), { detached: true, env: LAUNCH_ENV, cwd: '/', stdio: [...stdio] });
  child.on('error', () => undefined);
  const streams = child.stdio as unknown as (Readable | null)[];
  const lines = new ProgressLines(streams[PREPARED_FDS.report]!);
  // A write to a step that has ended shows as a missing "ok", never as an unhandled error.
  for (const s of streams) s?.on('error', () => undefined);
  const prepared = lines.next().then(() => undefined);
  const step = { child, lines, prepared };
  // Waiting, it keeps no engine alive.
  refs(step, false);
  return step;
}

/** Whether the step (its process and its pipes) keeps the engine's event loop alive. */
function refs(step: PreparedStep, on: boolean): void {
  if (on) step.child.ref();
  else step.child.unref();
  for (const s of step.child.stdio as unknown as (Readable | null)[]) {
    const h = s as unknown as { ref?: () => void; unref?: () => void } | null;
    if (on) h?.ref?.();
    else h?.unref?.();
  }
}

function alive(step: PreparedStep): boolean {
  return !!step.child.pid && step.child.exitCode === null && step.child.signalCode === null;
}

/** Ends a step and every process it made (its holders are in its process group). */
export function endPreparedStep(step: PreparedStep): void {
  try {
    if (step.child.pid) process.kill(-step.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  step.lines.close();
}

/**
 * Keeps a launch step prepared from now on (base: perl and the host's system call numbers, asked
 * for each time one is spawned), or, with null, no longer: the waiting one ends.
 */
export function keepPreparedSteps(base: (() => StepBase) | null): void {
  keep = base;
  if (refill) clearTimeout(refill);
  refill = null;
  if (!base) {
    if (spare) endPreparedStep(spare);
    spare = null;
    lastMaps = null;
    return;
  }
  if (!spare) spare = spawnPrepared(base());
}

/** Takes the waiting step for a start (null: none is kept, or it ended); another one follows later. */
export function takePreparedStep(): PreparedStep | null {
  const step = spare;
  spare = null;
  if (!step) return null;
  if (!alive(step)) {
    endPreparedStep(step);
    return null;
  }
  refs(step, true);
  return step;
}

/**
 * After a start (maps: its holders' part, when known): spawn the next step once the engine has
 * moved on, never during a start.
 */
export function refillPreparedStep(maps?: StepMaps, delayMs = 20): void {
  if (maps) lastMaps = maps;
  if (!keep || spare || refill) return;
  refill = setTimeout(() => {
    refill = null;
    if (keep && !spare) spare = spawnPrepared(keep());
  }, delayMs);
  refill.unref();
}

/**
 * Resolves once a prepared step waits (at once when none is kept). For measurements: a step still
 * compiling takes a core from whatever runs beside it.
 */
export async function preparedStepReady(): Promise<void> {
  if (refill) {
    clearTimeout(refill);
    refill = null;
    if (keep && !spare) spare = spawnPrepared(keep());
  }
  const step = spare;
  if (!step) return;
  // Waited for, the step keeps the engine alive until it says "p".
  refs(step, true);
  try {
    await step.prepared;
  } finally {
    if (spare === step) refs(step, false);
  }
}
