// ps and pid: processes of a sandbox seen from the host, and which sandbox a host pid belongs to.
import { listPids, nsInode, procCmdline, procStatus } from '../host/proc.js';
import type { Paths } from '../core/paths.js';
import { sandboxState, type RuntimeState } from '../runtime/state.js';
import { listNames } from '../runtime/store.js';

export interface SandboxProcess {
  hostPid: number;
  /** pid inside the sandbox's pid namespace. */
  pid: number | null;
  /** uid inside, translated through the sandbox's uid map. */
  uid: number | null;
  /** The command line as the process set it: the sandbox controls it, so print it through visible(). */
  command: string;
}

/** Host uid -> uid inside, through a map; null when unmapped. */
export function uidInside(hostUid: number, map: RuntimeState['idmap'], kind: 'uid' | 'gid' = 'uid'): number | null {
  for (const l of map?.[kind] ?? []) {
    if (hostUid >= l.outside && hostUid < l.outside + l.count) return l.inside + (hostUid - l.outside);
  }
  return null;
}

/** Every process in the sandbox's pid namespace (nested sandboxes' processes included). */
export function sandboxProcesses(rt: RuntimeState): SandboxProcess[] {
  const pidns = rt.namespaces['pid'];
  const initPid = rt.init?.pid;
  if (!pidns || !initPid) return [];
  const depth = procStatus(initPid)?.nspid.length ?? 2;
  const out: SandboxProcess[] = [];
  for (const pid of listPids()) {
    const st = procStatus(pid);
    if (!st) continue;
    // Every process of the sandbox (nested ones too) runs as ids of its map: another user's or
    // root's process is not looked at further (its namespace link is not ours to read anyway).
    if (rt.idmap && uidInside(st.uid, rt.idmap) === null) continue;
    // Our pid namespace, or one nested below it: then NSpid is longer and its entry at our depth exists.
    const ino = nsInode(pid, 'pid');
    if (ino !== pidns && !(st.nspid.length > depth && isDescendant(pid, initPid))) continue;
    out.push({ hostPid: pid, pid: st.nspid[depth - 1] ?? null, uid: uidInside(st.uid, rt.idmap), command: procCmdline(pid).join(' ') });
  }
  return out.sort((a, b) => (a.pid ?? 0) - (b.pid ?? 0));
}

function isDescendant(pid: number, ancestor: number): boolean {
  let cur = pid;
  for (let i = 0; i < 64 && cur > 1; i++) {
    if (cur === ancestor) return true;
    cur = procStatus(cur)?.ppid ?? 0;
  }
  return false;
}

/** Which sandbox a host pid belongs to (or null). */
export function sandboxOfPid(hostPid: number, paths?: Paths): { name: string; pid: number | null } | null {
  const st = procStatus(hostPid);
  if (!st) return null;
  const ino = nsInode(hostPid, 'pid');
  for (const name of listNames(paths)) {
    const { state, runtime } = sandboxState(name, paths);
    if (state === 'STOPPED' || !runtime) continue;
    if (runtime.namespaces['pid'] === ino) return { name, pid: st.nspid[1] ?? null };
    if (runtime.init && isDescendant(hostPid, runtime.init.pid)) return { name, pid: st.nspid[1] ?? null };
  }
  return null;
}
