// list and info: what each sandbox is, where its settings came from, and what it is running.
import type { Paths } from '../core/paths.js';
import { sandtrayPaths } from '../core/paths.js';
import type { Profile } from '../profile/schema.js';
import { expandRecord } from '../profile/resolve.js';
import type { Expanded } from '../profile/expand.js';
import { profileRisks, resolvedIfDifferent, type Risk } from '../profile/risks.js';
import { sandboxState, type State, type RuntimeState } from '../runtime/state.js';
import { DamagedRecordError, listNames, readRecord } from '../runtime/store.js';
import { asSandtrayError } from '../core/errors.js';
import { sandboxProcesses } from './ps.js';
import { secretStoreRisks } from '../secrets/keyring.js';
import { graphicsPlan, readGraphicsHost } from '../plan/graphics.js';
import { busSocketPath, sandboxDirs } from '../runtime/store.js';

export interface SandboxSummary {
  name: string;
  state: State;
  pid: number | null;
  network: string;
  profiles: string[];
  startedAt: string | null;
  /** Set when the profile no longer expands (a layer was deleted or broken), or the record is damaged. */
  problem: string | null;
  /** The sandbox's record is damaged (problem says how): `delete --force` removes it. */
  broken?: true;
}

export interface SandboxInfo extends SandboxSummary {
  createdAt: string;
  uptimeSec: number | null;
  profile: Profile | null;
  origins: Record<string, string>;
  namespaces: Record<string, number>;
  idmap: RuntimeState['idmap'];
  idmapNote: string | null;
  /** The running sandbox's mounts; `resolved` is where a host source leads through symbolic links. */
  mounts: (RuntimeState['mounts'][number] & { resolved?: string })[];
  /** What the expanded profile hands the sandbox that weakens it (profile/risks.ts). */
  risks: Risk[];
  pids: { host: number; inside: number | null; uid: number | null; command: string }[];
  isolated: { network: boolean };
  /**
   * What of the desktop session the sandbox has (running: what its start granted, from the runtime
   * record) or would get if started now (stopped: the profile against this session).
   */
  desktop: { granted: boolean; notes: string[] };
}

/** One line of facts per sandbox. */
export function listSandboxes(paths: Paths = sandtrayPaths()): SandboxSummary[] {
  return listNames(paths).map((name) => {
    try {
      return read(name, paths, false).summary;
    } catch (err) {
      // One damaged record is one line, never a failed listing: `delete --force NAME` removes it.
      if (!(err instanceof DamagedRecordError)) throw err;
      const { state, runtime } = sandboxState(name, paths);
      const up = state !== 'STOPPED' ? runtime : null;
      return { name, state, pid: up?.init?.pid ?? null, network: up?.network ?? '?', profiles: [], startedAt: up?.startedAt ?? null, problem: err.message, broken: true };
    }
  });
}

/**
 * Reads a sandbox once: its record, its derived state and, when needed, its expanded profile.
 * A running sandbox names its network in the runtime record, so `list` expands profiles only
 * for stopped ones; `info` always does.
 */
function read(name: string, paths: Paths, expandAlways: boolean) {
  const rec = readRecord(name, paths);
  const { state, runtime } = sandboxState(name, paths);
  const up = state !== 'STOPPED' && runtime ? runtime : null;
  let expanded: Expanded | null = null;
  let problem: string | null = null;
  if (expandAlways || !up) {
    try {
      expanded = expandRecord(rec, paths);
    } catch (err) {
      problem = asSandtrayError(err).message;
    }
  }
  const summary: SandboxSummary = {
    name,
    state,
    pid: up?.init?.pid ?? null,
    network: up?.network ?? expanded?.profile.network.mode ?? '?',
    profiles: rec.profiles,
    startedAt: up?.startedAt ?? null,
    problem,
  };
  return { rec, up, expanded, summary };
}

/** Everything about one sandbox. */
export function sandboxInfo(name: string, paths: Paths = sandtrayPaths()): SandboxInfo {
  const { rec, up: running, expanded, summary } = read(name, paths, true);
  return {
    ...summary,
    createdAt: rec.createdAt,
    uptimeSec: running?.startedAt ? Math.round((Date.now() - Date.parse(running.startedAt)) / 1000) : null,
    profile: expanded?.profile ?? null,
    origins: expanded?.origins ?? {},
    namespaces: running ? running.namespaces : {},
    idmap: running ? running.idmap : null,
    idmapNote: running ? running.idmapNote : null,
    mounts: running ? running.mounts.map(withResolved) : [],
    risks: [...(expanded ? profileRisks(expanded.profile) : []), ...secretStoreRisks(name, paths)],
    pids: running ? sandboxProcesses(running).map((p) => ({ host: p.hostPid, inside: p.pid, uid: p.uid, command: p.command })) : [],
    isolated: { network: summary.network !== 'host' },
    desktop: desktopNotes(running, expanded?.profile ?? null, () => graphicsPlan(expanded!.profile, readGraphicsHost(), busSocketPath(sandboxDirs(name, paths))).notes),
  };
}

/**
 * The Desktop lines of `info`: a running sandbox's come from its runtime record (what was bound
 * then, whatever the session looks like now); a stopped one's from its profile and this session.
 */
export function desktopNotes(running: RuntimeState | null, profile: Profile | null, ifStartedNow: () => string[]): SandboxInfo['desktop'] {
  if (running) return { granted: true, notes: running.desktop ?? [] };
  return { granted: false, notes: profile ? ifStartedNow() : [] };
}

/** A bind's host source with the path it resolves to now, when a symbolic link leads elsewhere. */
function withResolved(m: RuntimeState['mounts'][number]): RuntimeState['mounts'][number] & { resolved?: string } {
  if (!m.source || !m.op.includes('bind')) return m;
  const resolved = resolvedIfDifferent(m.source);
  return resolved ? { ...m, resolved } : m;
}
