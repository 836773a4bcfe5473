// monitor and wait: state changes as events, from file-system notifications on the runtime directory.
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { checkStateDir } from '../core/trust.js';
import { NAME_RE } from '../profile/schema.js';
import { sandboxState, type RuntimeState, type State } from '../runtime/state.js';
import { ensureSandtrayDirs, listNames } from '../runtime/store.js';
import { vpnSnapshot, type VpnEvent } from '../vpn/events.js';
import type { VpnState } from '../vpn/status.js';

export interface StateEvent {
  time: string;
  name: string;
  state: State | 'DELETED';
  previous: State | 'DELETED' | null;
  /** Set when the event is a VPN tunnel change of a running sandbox (state is then unchanged). */
  vpn?: VpnEvent;
}

export interface Watcher {
  close(): void;
}

export interface WatchOptions {
  paths?: Paths;
  /** The safety poll: a full rescan this often (default 30 s, or SANDTRAY_MONITOR_POLL_MS). */
  pollMs?: number;
  /** Report every sandbox's current state first (previous null). */
  initial?: boolean;
  /** Watch this one sandbox only. */
  only?: string;
  /** Called after each batch of notifications, state change or not (a VPN status, a record edit). */
  onChange?: () => void;
}

/** Notifications are coalesced this long; a start writes several files in a row. */
const DEBOUNCE_MS = 10;

function defaultPollMs(): number {
  const v = Number(process.env['SANDTRAY_MONITOR_POLL_MS']);
  return Number.isFinite(v) && v >= 10 ? v : 30_000;
}

interface Armed {
  w: fs.FSWatcher;
  dev: number;
  ino: number;
}

/** Whether the sandbox exists, as listNames decides it, for one name. */
function sandboxExists(name: string, paths: Paths): boolean {
  const dir = path.join(paths.data, 'sandboxes');
  return NAME_RE.test(name) && checkStateDir(dir) !== null && fs.existsSync(path.join(dir, name, 'sandbox.json'));
}

/** What the monitor remembers of a sandbox: its state and the pid 1 (pid and start time) it records. */
export interface Seen {
  state: State;
  init: RuntimeState['init'];
}

const sameInit = (a: RuntimeState['init'], b: RuntimeState['init']): boolean => a === b || (a !== null && b !== null && a.pid === b.pid && a.start === b.start);

/**
 * The events that take a sandbox from what was seen before (null: not known) to what is seen now
 * (null: deleted). Pure. A state name alone misses a sandbox killed and started again between two
 * looks: RUNNING before and RUNNING after, but with another pid 1. So a sandbox that was up (any
 * state but STOPPED) with a recorded pid 1 and now records another one, or none yet (a new start),
 * has stopped in between: STOPPED is reported first, then the new state. Nothing else can replace
 * pid 1 in the record: only a start writes it, and a start begins from a stopped sandbox.
 */
export function transitions(name: string, prev: Seen | null, next: Seen | null, time: string): StateEvent[] {
  if (next === null) return prev === null ? [] : [{ time, name, state: 'DELETED', previous: prev.state }];
  if (prev === null) return [{ time, name, state: next.state, previous: null }];
  if (prev.state !== 'STOPPED' && prev.init !== null && next.state !== 'STOPPED' && !sameInit(prev.init, next.init)) {
    return [
      { time, name, state: 'STOPPED', previous: prev.state },
      { time, name, state: next.state, previous: 'STOPPED' },
    ];
  }
  return prev.state === next.state ? [] : [{ time, name, state: next.state, previous: prev.state }];
}

/** A snapshot of every sandbox's state. */
export function snapshot(paths: Paths): Map<string, State> {
  const m = new Map<string, State>();
  for (const n of listNames(paths)) m.set(n, sandboxState(n, paths).state);
  return m;
}

/**
 * Calls onEvent for every state change. Event-driven for each sandbox: one plain inotify watch on
 * the runtime folder, one on the data folder of sandboxes, and one on each sandbox's runtime and
 * data folder. Every transition rewrites a file there, and bwrap's monitor writes pid 1's exit
 * status to exit.json when it dies, even when it was killed from outside. A notification marks
 * only the sandbox it names; after a short debounce the state of just those sandboxes is derived
 * again (no full rescan per event). An event in a parent folder about a sandbox's own folder (made,
 * removed, renamed) re-arms that sandbox's watches before its state is read, so a folder deleted and
 * re-created within the debounce is watched again and nothing written into it is lost. A slow
 * safety poll (pollMs, 30 s unless SANDTRAY_MONITOR_POLL_MS says otherwise) rescans everything and
 * catches what no file records, such as a start whose sandtray process was killed.
 */
export function watchStates(onEvent: (e: StateEvent) => void, opts: WatchOptions = {}): Watcher {
  const paths = opts.paths ?? sandtrayPaths();
  // The folders watched are ours and no one else can write them (core/trust.ts).
  ensureSandtrayDirs(paths);
  const only = opts.only ?? null;
  const dataRoot = path.join(paths.data, 'sandboxes');
  const wanted = (name: string): boolean => NAME_RE.test(name) && (only === null || name === only);
  const stateOf = (name: string): Seen | null => {
    if (!sandboxExists(name, paths)) return null;
    const { state, runtime } = sandboxState(name, paths);
    return { state, init: runtime?.init ?? null };
  };

  const last = new Map<string, Seen>();
  let lastVpn = new Map<string, { state: VpnState; message: string | null }>();
  const seed = (): void => {
    for (const n of only === null ? listNames(paths) : [only]) {
      const st = stateOf(n);
      if (st !== null) last.set(n, st);
    }
    lastVpn = vpnSnapshot(paths, new Map([...last].map(([n, s]) => [n, s.state])));
  };
  if (!opts.initial) seed();

  /** Derives again the state of one sandbox and reports what changed. */
  const refresh = (name: string, time: string): void => {
    let seen: Seen | null;
    try {
      seen = stateOf(name);
    } catch {
      return; // an untrusted folder above the state: nothing is read from it; the poll tries again
    }
    const prev = last.get(name) ?? null;
    if (seen === null) last.delete(name);
    else last.set(name, seen);
    for (const ev of transitions(name, prev, seen, time)) onEvent(ev);
    const state = seen?.state ?? null;
    // VPN tunnels: the agent rewrites vpn.json in the runtime folder on every change.
    const v = state === null ? undefined : vpnSnapshot(paths, new Map([[name, state]])).get(name);
    const pv = lastVpn.get(name);
    if (v) {
      lastVpn.set(name, v);
      if (pv?.state !== v.state || pv?.message !== v.message) onEvent({ time, name, state: state!, previous: state!, vpn: { ...v, previous: pv?.state ?? null } });
    } else if (pv) {
      lastVpn.delete(name);
      if (state !== null) onEvent({ time, name, state, previous: state, vpn: { state: 'down', previous: pv.state, message: null } });
    }
  };

  // One plain inotify watch per folder, never `recursive: true`: Node 20 implements recursive
  // watching on Linux by scanning new subfolders, and a runtime folder that vanished right after it
  // appeared (a failed start) made that scan throw an uncaught ENOENT. A folder that is gone, or is
  // not a real folder of ours (a link planted in its place), is simply not watched.
  const watchDir = (dir: string, onChange: (file: string | null) => void): Armed | null => {
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) return null;
      const w = fs.watch(dir, (_ev, file) => onChange(file === null ? null : String(file)));
      w.on('error', () => w.close());
      return { w, dev: st.dev, ino: st.ino };
    } catch {
      return null;
    }
  };
  const stale = (a: Armed | null, dir: string): boolean => {
    try {
      const st = fs.lstatSync(dir);
      return a === null || st.dev !== a.dev || st.ino !== a.ino;
    } catch {
      return a !== null;
    }
  };

  // Dirty sandboxes, flushed together after a short debounce (a start writes several files).
  const dirty = new Map<string, boolean>(); // name -> re-arm its watches first
  let everything = false;
  let scheduled: NodeJS.Timeout | null = null;
  let closed = false;
  const mark = (name: string, rearm: boolean): void => {
    if (!wanted(name)) return;
    dirty.set(name, rearm || (dirty.get(name) ?? false));
    schedule();
  };
  const schedule = (): void => {
    if (!scheduled && !closed) scheduled = setTimeout(flush, DEBOUNCE_MS);
  };
  /** The sandbox a file name in the runtime or data folder belongs to: NAME, NAME.lock, .NAME.*.tmp. */
  const owner = (file: string): string => file.replace(/^\./, '').split('.')[0]!;
  const onTop = (root: string) => (file: string | null): void => {
    // Unnamed, or naming the watched folder itself (removed): rescan, which re-arms what changed.
    if (file === null || file === path.basename(root)) {
      everything = true;
      schedule();
      if (file === null) return;
    }
    // The sandbox's own folder was made, removed or renamed: its watches must be armed again.
    mark(owner(file), !file.includes('.'));
  };

  const perSandbox = new Map<string, { rt: Armed | null; data: Armed | null }>();
  const arm = (name: string): void => {
    const old = perSandbox.get(name);
    old?.rt?.w.close();
    old?.data?.w.close();
    // A watch event naming the folder itself is its removal (inotify's IN_DELETE_SELF): re-arm.
    const onInner = (file: string | null): void => mark(name, file === null || file === name);
    const rt = watchDir(path.join(paths.runtime, name), onInner);
    const data = watchDir(path.join(dataRoot, name), onInner);
    if (rt || data) perSandbox.set(name, { rt, data });
    else perSandbox.delete(name);
  };
  const armIfStale = (name: string): void => {
    const a = perSandbox.get(name) ?? null;
    if (stale(a?.rt ?? null, path.join(paths.runtime, name)) || stale(a?.data ?? null, path.join(dataRoot, name))) arm(name);
  };

  const top: { rt: Armed | null; data: Armed | null } = { rt: null, data: null };
  const armTop = (): void => {
    if (stale(top.rt, paths.runtime)) {
      top.rt?.w.close();
      top.rt = watchDir(paths.runtime, onTop(paths.runtime));
    }
    if (stale(top.data, dataRoot)) {
      top.data?.w.close();
      top.data = watchDir(dataRoot, onTop(dataRoot));
    }
  };

  /** Every sandbox we know of, has a folder, or is listed: what the safety poll looks at. */
  const allNames = (): Set<string> => {
    const names = new Set<string>([...last.keys(), ...perSandbox.keys()]);
    for (const dir of [paths.runtime, dataRoot]) {
      try {
        for (const d of fs.readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) names.add(d.name);
      } catch {
        // the folder is gone; the poll keeps checking
      }
    }
    return new Set([...names].filter(wanted));
  };
  const rescan = (): void => {
    armTop();
    const time = new Date().toISOString();
    for (const name of allNames()) {
      armIfStale(name);
      refresh(name, time);
    }
  };

  const flush = (): void => {
    scheduled = null;
    if (closed) return;
    const batch = [...dirty];
    dirty.clear();
    if (everything) {
      everything = false;
      rescan();
    } else {
      const time = new Date().toISOString();
      // Watches first, then the state: whatever is written after the watch is armed is notified,
      // whatever was written before is read now.
      for (const [name, rearm] of batch) if (rearm) arm(name);
      for (const [name] of batch) refresh(name, time);
    }
    opts.onChange?.();
  };

  armTop();
  for (const name of allNames()) arm(name);
  const poll = setInterval(rescan, opts.pollMs ?? defaultPollMs());
  if (opts.initial) rescan();
  return {
    close() {
      closed = true;
      top.rt?.w.close();
      top.data?.w.close();
      for (const a of perSandbox.values()) {
        a.rt?.w.close();
        a.data?.w.close();
      }
      perSandbox.clear();
      clearInterval(poll);
      if (scheduled) clearTimeout(scheduled);
    },
  };
}

/** Resolves when the sandbox reaches the state, or rejects with TIMEOUT. */
export function waitForState(name: string, want: State, timeoutSec: number | null, paths: Paths = sandtrayPaths()): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sandboxState(name, paths).state === want) return resolve();
    let timer: NodeJS.Timeout | null = null;
    const w = watchStates((e) => {
      if (e.name === name && e.state === want) {
        w.close();
        if (timer) clearTimeout(timer);
        resolve();
      }
    }, { paths, pollMs: 200, only: name });
    // The state may have changed between the first check and the watch.
    if (sandboxState(name, paths).state === want) {
      w.close();
      return resolve();
    }
    if (timeoutSec !== null) {
      timer = setTimeout(() => {
        w.close();
        reject(new Error('timeout'));
      }, timeoutSec * 1000);
    }
  });
}
