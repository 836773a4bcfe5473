// The runtime record's schema (state.json), in zod: the type of the record and the one definition
// the hand-written reader in state.ts (parseRuntime) must agree with; test/unit/state.test.ts holds
// them to each other. Kept apart so that reading the record loads no zod.
import { z } from 'zod';

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
