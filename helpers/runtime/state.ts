// Lifecycle state, derived every time from the runtime directory and /proc, never cached.
import fs from 'node:fs';
import { z } from 'zod';
import { isAlive, procStart, type ProcId } from '../host/proc.js';
import { sandboxDirs, type SandboxDirs } from './dirs.js';
import type { Paths } from '../core/paths.js';
import { isOwnStateDir, writeStateFile } from '../core/trust.js';

/** The LXC lifecycle states. */
export const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'STOPPING', 'ABORTING'] as const;
export type State = (typeof STATES)[number];

const procId = z.object({ pid: z.number().int().positive(), start: z.number() });

export const runtimeSchema = z.object({
  phase: z.enum(['starting', 'running', 'stopping', 'aborting']),
  /** The sandtray process doing a start or stop right now. */
  actor: procId.nullable(),
  /** pid 1 of the sandbox, as seen from the host. */
  init: procId.nullable(),
  /** bwrap's monitor process outside the sandbox (parent of init). */
  monitor: procId.nullable(),
  startedAt: z.string().nullable(),
  namespaces: z.record(z.string(), z.number()),
  idmap: z.object({
    uid: z.array(z.object({ inside: z.number(), outside: z.number(), count: z.number() })),
    gid: z.array(z.object({ inside: z.number(), outside: z.number(), count: z.number() })),
  }).nullable(),
  mounts: z.array(z.object({ op: z.string(), source: z.string().optional(), target: z.string() })),
  network: z.string(),
  /** What attach needs, fixed at start so a later profile edit cannot change a running sandbox. */
  env: z.record(z.string(), z.string()),
  shell: z.string(),
  command: z.array(z.string()),
  workdir: z.string(),
  idmapNote: z.string().nullable().default(null),
  /** Capabilities and seccomp policy of pid 1; every attached process gets the same. */
  confine: z.object({ caps: z.array(z.string()), nesting: z.boolean(), sysAdmin: z.boolean() }).nullable().default(null),
  /**
   * What the start granted of the desktop session (plan/graphics.ts): display sockets, sound, the
   * GPU, the bus and its proxy, and what the compositor offers; one line each, shown by `info`.
   */
  desktop: z.array(z.string()).optional(),
  /**
   * Pid 1 exits with status 0 once the sandbox is idle (plan/init-script.ts): such an end, with the
   * record still "running", is the profile's wish, not a failure.
   */
  stopWhenIdle: z.boolean().optional(),
  /** The compositor socket bound, and whether that compositor offered wp_security_context_v1 at start. */
  wayland: z.object({ socket: z.string(), securityContext: z.enum(['offered', 'not offered', 'unknown']) }).optional(),
  /** Extra host processes that belong to the sandbox (e.g. pasta). */
  helpers: z.array(procId.extend({ what: z.string() })).default([]),
});
export type RuntimeState = z.infer<typeof runtimeSchema>;

/**
 * Reads the runtime state file; null when absent or unreadable, or when the sandbox's runtime
 * directory is not a real directory of ours (a link planted there is not its state). Throws
 * UNTRUSTED_PATH when the folders above it could be steered by someone else.
 */
export function readRuntime(dirs: SandboxDirs): RuntimeState | null {
  if (!isOwnStateDir(dirs.runtime)) return null;
  try {
    const parsed = runtimeSchema.safeParse(JSON.parse(fs.readFileSync(dirs.stateFile, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Writes the runtime state file atomically. Not synced to disk: it names processes, and a machine
 * that goes down ends them all; an unreadable record then reads as STOPPED, which is the truth.
 * A start writes it five times, so the fsyncs were most of its file-system time.
 */
export function writeRuntime(dirs: SandboxDirs, rt: RuntimeState): void {
  writeStateFile(dirs.stateFile, JSON.stringify(rt, null, 2), 0o600, { durable: false });
}

/** Pure state derivation from a runtime record and liveness answers. */
export function deriveState(rt: RuntimeState | null, alive: (id: RuntimeState['init']) => boolean = isAlive): State {
  if (!rt) return 'STOPPED';
  const initUp = alive(rt.init);
  const actorUp = alive(rt.actor);
  switch (rt.phase) {
    case 'starting':
      if (actorUp) return 'STARTING';
      return initUp ? 'RUNNING' : 'STOPPED';
    case 'aborting':
      // A revert that was itself killed may have left pid 1 up: that is a running sandbox.
      if (actorUp) return 'ABORTING';
      return initUp ? 'RUNNING' : 'STOPPED';
    case 'stopping':
      if (!initUp) return 'STOPPED';
      return actorUp ? 'STOPPING' : 'RUNNING';
    case 'running':
      return initUp ? 'RUNNING' : 'STOPPED';
  }
}

/**
 * The child of bwrap's monitor, i.e. the sandbox's pid 1, when the monitor is still the recorded
 * process. A start whose sandtray process died between spawning bwrap and recording pid 1 leaves
 * only the monitor in the record: its child is then pid 1 all the same.
 */
export function childOfMonitor(monitor: ProcId | null): ProcId | null {
  if (!monitor || !isAlive(monitor)) return null;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${monitor.pid}/task/${monitor.pid}/children`, 'utf8');
  } catch {
    return null;
  }
  for (const word of text.trim().split(/\s+/)) {
    const pid = Number(word);
    const start = pid > 0 ? procStart(pid) : null;
    // Started after the monitor (a recycled monitor pid has children of its own age or younger).
    if (start !== null && start >= monitor.start && isAlive(monitor)) return { pid, start };
  }
  return null;
}

/**
 * The runtime record as far as /proc can complete it: a starting record without pid 1 whose
 * starter is gone takes pid 1 from bwrap's monitor, so it reads RUNNING and `stop` can end it.
 */
export function completeRuntime(rt: RuntimeState | null, alive: (id: RuntimeState['init']) => boolean = isAlive): RuntimeState | null {
  if (!rt || rt.init || (rt.phase !== 'starting' && rt.phase !== 'aborting') || alive(rt.actor)) return rt;
  const init = childOfMonitor(rt.monitor);
  return init ? { ...rt, init } : rt;
}

/** Current state of a sandbox by name. */
export function sandboxState(name: string, paths?: Paths): { state: State; runtime: RuntimeState | null; dirs: SandboxDirs } {
  const dirs = sandboxDirs(name, paths);
  const runtime = completeRuntime(readRuntime(dirs));
  return { state: deriveState(runtime), runtime, dirs };
}
