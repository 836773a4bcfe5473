// list and info: what each sandbox is, where its settings came from, and what it is running.
import type { Paths } from '../core/paths.js';
import { sandtrayPaths } from '../core/paths.js';
import type { Profile } from '../profile/schema.js';
import { expandRecord } from '../profile/resolve.js';
import { sandboxState, type State, type RuntimeState } from '../runtime/state.js';
import { listNames, readRecord } from '../runtime/store.js';
import { asSandtrayError } from '../core/errors.js';
import { sandboxProcesses } from './ps.js';

export interface SandboxSummary {
  name: string;
  state: State;
  pid: number | null;
  network: string;
  profiles: string[];
  startedAt: string | null;
  /** Set when the profile no longer expands (a layer was deleted or broken). */
  problem: string | null;
}

export interface SandboxInfo extends SandboxSummary {
  createdAt: string;
  uptimeSec: number | null;
  profile: Profile | null;
  origins: Record<string, string>;
  namespaces: Record<string, number>;
  idmap: RuntimeState['idmap'];
  idmapNote: string | null;
  mounts: RuntimeState['mounts'];
  pids: { host: number; inside: number | null; uid: number | null; command: string }[];
  isolated: { network: boolean };
}

/** One line of facts per sandbox. */
export function listSandboxes(paths: Paths = sandtrayPaths()): SandboxSummary[] {
  return listNames(paths).map((name) => summary(name, paths));
}

function summary(name: string, paths: Paths): SandboxSummary {
  const rec = readRecord(name, paths);
  const { state, runtime } = sandboxState(name, paths);
  let network = runtime?.network ?? '?';
  let problem: string | null = null;
  if (!runtime || state === 'STOPPED') {
    try {
      network = expandRecord(rec, paths).profile.network.mode;
    } catch (err) {
      problem = asSandtrayError(err).message;
    }
  }
  const up = state !== 'STOPPED' && runtime;
  return {
    name,
    state,
    pid: up ? runtime.init?.pid ?? null : null,
    network,
    profiles: rec.profiles,
    startedAt: up ? runtime.startedAt : null,
    problem,
  };
}

/** Everything about one sandbox. */
export function sandboxInfo(name: string, paths: Paths = sandtrayPaths()): SandboxInfo {
  const rec = readRecord(name, paths);
  const base = summary(name, paths);
  const { runtime } = sandboxState(name, paths);
  let profile: Profile | null = null;
  let origins: Record<string, string> = {};
  try {
    const ex = expandRecord(rec, paths);
    profile = ex.profile;
    origins = ex.origins;
  } catch (err) {
    base.problem = asSandtrayError(err).message;
  }
  const running = base.state !== 'STOPPED' && runtime;
  return {
    ...base,
    createdAt: rec.createdAt,
    uptimeSec: running && runtime.startedAt ? Math.round((Date.now() - Date.parse(runtime.startedAt)) / 1000) : null,
    profile,
    origins,
    namespaces: running ? runtime.namespaces : {},
    idmap: running ? runtime.idmap : null,
    idmapNote: running ? runtime.idmapNote : null,
    mounts: running ? runtime.mounts : [],
    pids: running ? sandboxProcesses(runtime).map((p) => ({ host: p.hostPid, inside: p.pid, uid: p.uid, command: p.command })) : [],
    isolated: { network: (running ? runtime.network : profile?.network.mode) !== 'host' },
  };
}
