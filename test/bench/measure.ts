// What the benchmark measures with: interleaved rounds, medians of per-round differences and
// ratios, wall and CPU time of a process, PSS of processes. Nothing here passes or fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(xs: readonly number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: round(median), min: round(s[0]!), max: round(s[s.length - 1]!), n: s.length };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Per round: the time of b, less the time of a, and b / a, measured in the same round. */
export function paired(a: readonly number[], b: readonly number[]): { diff: Stat; ratio: Stat } {
  return { diff: stat(b.map((x, i) => x - a[i]!)), ratio: stat(b.map((x, i) => x / a[i]!)) };
}

/** CPU time, in ms, of the children this process has waited for (and of theirs), from /proc/self/stat. */
function childCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 (cutime, cstime) are the 14th and 15th after the command name; clock ticks of 10 ms.
  return (Number(f[13]) + Number(f[14])) * 10;
}

export interface Run {
  wall: number;
  /** User + system CPU of the process and the descendants it waited for (10 ms steps). */
  cpu: number;
  code: number | null;
  stderr: string;
}

/** Runs argv to its end, stdin from /dev/null, stdout dropped; wall and CPU time in ms. */
export function runTimed(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; fds?: readonly number[] } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const cpu0 = childCpuMs();
    const t0 = performance.now();
    // fds: handed on as descriptors 3, 4, ... (the raw chain's mount sources, as the launch passes them).
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe', ...(opts.fds ?? [])], env: opts.env ?? process.env, cwd: opts.cwd });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr += d));
    child.once('error', (err) => resolve({ wall: performance.now() - t0, cpu: 0, code: null, stderr: err.message }));
    child.once('close', (code) => resolve({ wall: performance.now() - t0, cpu: childCpuMs() - cpu0, code, stderr }));
  });
}

/** Runs argv and throws with its stderr when it fails: every baseline and command must work before it is timed. */
export async function mustRun(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; fds?: readonly number[] } = {}): Promise<Run> {
  const r = await runTimed(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

/**
 * Proportional set size of a process in KiB (its share of the memory it maps). A process that made
 * itself undumpable (pasta does) hides its smaps from its own user: then its resident set size,
 * which counts shared pages whole, stands in, marked `rss`. Null when the process is gone.
 */
export function memoryKiB(pid: number): { kib: number; rss: boolean } | null {
  try {
    const m = /^Pss:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return { kib: Number(m[1]), rss: false };
  } catch {
    // not readable: the status file is
  }
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? { kib: Number(m[1]), rss: true } : null;
  } catch {
    return null;
  }
}

/** KiB resident per part of a sandbox outside its payload: bwrap's monitor, pid 1, each helper and its children. */
export function residentParts(rt: { init: { pid: number } | null; monitor: { pid: number } | null; helpers: { pid: number; what: string }[] }): { kib: number; parts: Record<string, number>; rssOnly: string[] } {
  const parts: Record<string, number> = {};
  const rssOnly: string[] = [];
  const add = (what: string, pid: number): void => {
    const m = memoryKiB(pid);
    if (!m) return;
    parts[what] = (parts[what] ?? 0) + m.kib;
    if (m.rss && !rssOnly.includes(what)) rssOnly.push(what);
  };
  if (rt.monitor) add('bwrap monitor', rt.monitor.pid);
  if (rt.init) add('pid 1 (init)', rt.init.pid);
  for (const h of rt.helpers) {
    add(h.what, h.pid);
    // A helper's own children (the VPN client under its jail, for one) count with it.
    for (const d of descendants(h.pid)) add(`${h.what}: ${comm(d)}`, d);
  }
  return { kib: Object.values(parts).reduce((a, b) => a + b, 0), parts, rssOnly };
}

export function showResident(label: string, r: ReturnType<typeof residentParts>): string {
  const parts = Object.entries(r.parts).map(([w, n]) => `${w} ${n}${r.rssOnly.includes(w) ? ' (RSS)' : ''}`);
  return `  ${label.padEnd(18)} ${String(r.kib).padStart(7)} KiB  (${parts.join(', ')})`;
}

/** Every descendant of pid (children, their children...), from /proc. */
export function descendants(pid: number): number[] {
  const kids = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const k of kids.get(p) ?? []) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

export function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** A line of figures: median, then min..max and n. */
export function show(s: Stat, unit = 'ms'): string {
  return `${s.median.toFixed(1).padStart(8)} ${unit}  (${s.min.toFixed(1)}..${s.max.toFixed(1)}, n=${s.n})`;
}
