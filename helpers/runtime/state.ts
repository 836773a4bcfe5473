// Lifecycle state, derived every time from the runtime directory and /proc, never cached.
import fs from 'node:fs';
import { isAlive, procStart, type ProcId } from '../host/proc.js';
import { sandboxDirs, type SandboxDirs } from './dirs.js';
import type { Paths } from '../core/paths.js';
import { isOwnStateDir, writeStateFile } from '../core/trust.js';
import type { RuntimeState } from './runtime-schema.js';

/** The LXC lifecycle states. */
export const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'STOPPING', 'ABORTING'] as const;
export type State = (typeof STATES)[number];

export type { RuntimeState };

type ProcIdOf = RuntimeState['init'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const PHASES: readonly unknown[] = ['starting', 'running', 'stopping', 'aborting'];
const SECURITY_CONTEXTS: readonly unknown[] = ['offered', 'not offered', 'unknown'];

/** Thrown inside parseRuntime at the first thing the schema refuses. */
class Refused extends Error {}
function need<T>(ok: boolean, v: T): T {
  if (!ok) throw new Refused();
  return v;
}
function procIdOf(v: unknown): NonNullable<ProcIdOf> {
  need(isObj(v), v);
  const o = v as Record<string, unknown>;
  return { pid: need(Number.isSafeInteger(o['pid']) && (o['pid'] as number) > 0, o['pid'] as number), start: need(isNum(o['start']), o['start'] as number) };
}
const nullable = <T>(v: unknown, f: (v: unknown) => T): T | null => (v === null ? null : f(v));
function strings(v: unknown): string[] {
  need(Array.isArray(v) && v.every(isStr), v);
  return [...(v as string[])];
}
function recordOf<T>(v: unknown, ok: (x: unknown) => x is T): Record<string, T> {
  need(isObj(v), v);
  const out: Record<string, T> = {};
  // As zod's record: a "__proto__" key is dropped (assigned, it would replace the prototype).
  for (const [k, x] of Object.entries(v as object)) if (k !== '__proto__') out[k] = need(ok(x), x as T);
  return out;
}
function mapLines(v: unknown): { inside: number; outside: number; count: number }[] {
  return need(Array.isArray(v), v as unknown[]).map((l) => {
    need(isObj(l), l);
    const o = l as Record<string, unknown>;
    return { inside: need(isNum(o['inside']), o['inside'] as number), outside: need(isNum(o['outside']), o['outside'] as number), count: need(isNum(o['count']), o['count'] as number) };
  });
}

function waylandOf(v: unknown): NonNullable<RuntimeState['wayland']> {
  need(isObj(v), v);
  const w = v as Record<string, unknown>;
  return { socket: need(isStr(w['socket']), w['socket'] as string), securityContext: need(SECURITY_CONTEXTS.includes(w['securityContext']), w['securityContext'] as 'offered' | 'not offered' | 'unknown') };
}

/**
 * The runtime record in `json` as runtimeSchema (runtime-schema.ts) reads it, or null where that
 * schema refuses it: unknown keys dropped, the defaults filled in. By hand: the record is read by
 * every command that looks at a sandbox, and zod's first parse of this schema, with building it
 * and zod itself, cost `exec` more than all its own work.
 */
export function parseRuntime(json: unknown): RuntimeState | null {
  try {
    need(isObj(json), json);
    const o = json as Record<string, unknown>;
    const rt: RuntimeState = {
      phase: need(PHASES.includes(o['phase']), o['phase'] as RuntimeState['phase']),
      actor: nullable(o['actor'], procIdOf),
      init: nullable(o['init'], procIdOf),
      monitor: nullable(o['monitor'], procIdOf),
      startedAt: nullable(o['startedAt'], (v) => need(isStr(v), v as string)),
      namespaces: recordOf(o['namespaces'], isNum),
      idmap: nullable(o['idmap'], (v) => {
        need(isObj(v), v);
        const m = v as Record<string, unknown>;
        return { uid: mapLines(m['uid']), gid: mapLines(m['gid']) };
      }),
      mounts: need(Array.isArray(o['mounts']), o['mounts'] as unknown[]).map((m) => {
        need(isObj(m), m);
        const x = m as Record<string, unknown>;
        need(x['source'] === undefined || isStr(x['source']), x);
        return { op: need(isStr(x['op']), x['op'] as string), ...(x['source'] !== undefined ? { source: x['source'] as string } : {}), target: need(isStr(x['target']), x['target'] as string) };
      }),
      network: need(isStr(o['network']), o['network'] as string),
      env: recordOf(o['env'], isStr),
      shell: need(isStr(o['shell']), o['shell'] as string),
      command: strings(o['command']),
      workdir: need(isStr(o['workdir']), o['workdir'] as string),
      idmapNote: o['idmapNote'] === undefined ? null : nullable(o['idmapNote'], (v) => need(isStr(v), v as string)),
      confine: o['confine'] === undefined ? null : nullable(o['confine'], (v) => {
        need(isObj(v), v);
        const c = v as Record<string, unknown>;
        return { caps: strings(c['caps']), nesting: need(typeof c['nesting'] === 'boolean', c['nesting'] as boolean), sysAdmin: need(typeof c['sysAdmin'] === 'boolean', c['sysAdmin'] as boolean) };
      }),
      // In the schema's order (JSON.stringify keeps it), the optional keys only when present.
      ...(o['desktop'] !== undefined ? { desktop: strings(o['desktop']) } : {}),
      ...(o['stopWhenIdle'] !== undefined ? { stopWhenIdle: need(typeof o['stopWhenIdle'] === 'boolean', o['stopWhenIdle'] as boolean) } : {}),
      ...(o['wayland'] !== undefined ? { wayland: waylandOf(o['wayland']) } : {}),
      helpers: o['helpers'] === undefined ? [] : need(Array.isArray(o['helpers']), o['helpers'] as unknown[]).map((h) => ({ ...procIdOf(h), what: need(isStr((h as Record<string, unknown>)['what']), (h as Record<string, unknown>)['what'] as string) })),
    };
    return rt;
  } catch (err) {
    if (err instanceof Refused) return null;
    throw err;
  }
}

/**
 * Reads the runtime state file; null when absent or unreadable, or when the sandbox's runtime
 * directory is not a real directory of ours (a link planted there is not its state). Throws
 * UNTRUSTED_PATH when the folders above it could be steered by someone else.
 */
export function readRuntime(dirs: SandboxDirs): RuntimeState | null {
  if (!isOwnStateDir(dirs.runtime)) return null;
  try {
    return parseRuntime(JSON.parse(fs.readFileSync(dirs.stateFile, 'utf8')));
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
