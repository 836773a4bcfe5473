// Reading /proc: pid identity (pid + start time, so a recycled pid is never mistaken), namespaces, status.
import fs from 'node:fs';

export interface ProcId {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  start: number;
}

/** Start time of a pid, or null when it does not exist. */
export function procStart(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  if (state === 'Z' || state === 'X') return null;
  const start = Number(rest[19]);
  return Number.isFinite(start) ? start : null;
}

/** This process's own identity. */
export function selfId(): ProcId {
  return { pid: process.pid, start: procStart(process.pid) ?? 0 };
}

/** True when the pid still names the same process that was recorded. */
export function isAlive(id: ProcId | null | undefined): boolean {
  if (!id) return false;
  return procStart(id.pid) === id.start;
}

/** Namespace inode of a process, e.g. nsInode(1234, 'pid'). */
export function nsInode(pid: number, ns: string): number | null {
  try {
    const link = fs.readlinkSync(`/proc/${pid}/ns/${ns}`);
    const m = /\[(\d+)\]$/.exec(link);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** All numeric pids currently in /proc. */
export function listPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

export interface ProcStatus {
  uid: number;
  gid: number;
  /** Pids of the process in each pid namespace, host first. */
  nspid: number[];
  ppid: number;
}

/** Parsed /proc/PID/status, or null when the process is gone. */
export function procStatus(pid: number): ProcStatus | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (k: string): string => {
    const m = new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text);
    return m?.[1] ?? '';
  };
  return {
    uid: Number(field('Uid').split(/\s+/)[0]),
    gid: Number(field('Gid').split(/\s+/)[0]),
    nspid: field('NSpid').split(/\s+/).filter(Boolean).map(Number),
    ppid: Number(field('PPid')),
  };
}

/** Command line of a process as argv. */
export function procCmdline(pid: number): string[] {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1);
  } catch {
    return [];
  }
}

/** Seconds since boot, to turn start ticks into wall-clock times. */
export function bootTimeMs(): number {
  const up = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - up * 1000;
}

// The kernel's USER_HZ is 100 on every Linux architecture we run on.
export const CLK_TCK = 100;

/** Whether the process has a handler installed for the signal (SigCgt in /proc/PID/status). */
export function catchesSignal(pid: number, signo: number): boolean {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return !!m && (BigInt(`0x${m[1]}`) & (1n << BigInt(signo - 1))) !== 0n;
  } catch {
    return false;
  }
}
