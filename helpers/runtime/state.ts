// Lifecycle state, derived every time from the runtime directory and /proc, never cached.
import fs from 'node:fs';
import { z } from 'zod';
import { isAlive } from '../host/proc.js';
import { sandboxDirs, writeFileAtomic, type SandboxDirs } from './store.js';
import type { Paths } from '../core/paths.js';
import { isOwnStateDir } from '../core/trust.js';

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

/** Writes the runtime state file atomically. */
export function writeRuntime(dirs: SandboxDirs, rt: RuntimeState): void {
  writeFileAtomic(dirs.stateFile, JSON.stringify(rt, null, 2));
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
      return actorUp ? 'ABORTING' : 'STOPPED';
    case 'stopping':
      if (!initUp) return 'STOPPED';
      return actorUp ? 'STOPPING' : 'RUNNING';
    case 'running':
      return initUp ? 'RUNNING' : 'STOPPED';
  }
}

/** Current state of a sandbox by name. */
export function sandboxState(name: string, paths?: Paths): { state: State; runtime: RuntimeState | null; dirs: SandboxDirs } {
  const dirs = sandboxDirs(name, paths);
  const runtime = readRuntime(dirs);
  return { state: deriveState(runtime), runtime, dirs };
}
