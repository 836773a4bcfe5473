// monitor and wait: state changes as events, from file-system notifications on the runtime directory.
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { sandboxState, type State } from '../runtime/state.js';
import { ensureSandtrayDirs, listNames } from '../runtime/store.js';
import { vpnSnapshot, type VpnEvent } from '../vpn/events.js';

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

/** A snapshot of every sandbox's state. */
export function snapshot(paths: Paths): Map<string, State> {
  const m = new Map<string, State>();
  for (const n of listNames(paths)) m.set(n, sandboxState(n, paths).state);
  return m;
}

/**
 * Calls onEvent for every state change. Driven by inotify on the runtime and data directories
 * (every transition rewrites a file there, and bwrap writes pid 1's exit status when it dies, even
 * when it was killed from outside); a slow poll catches what no file records, such as bwrap's
 * monitor being killed too.
 */
export function watchStates(onEvent: (e: StateEvent) => void, opts: { paths?: Paths; pollMs?: number; initial?: boolean } = {}): Watcher {
  const paths = opts.paths ?? sandtrayPaths();
  // The folders watched are ours and no one else can write them (core/trust.ts).
  ensureSandtrayDirs(paths);
  let last = opts.initial ? new Map<string, State>() : snapshot(paths);
  let lastVpn = vpnSnapshot(paths, last);
  let scheduled: NodeJS.Timeout | null = null;
  const check = (): void => {
    scheduled = null;
    const now = snapshot(paths);
    const time = new Date().toISOString();
    for (const [name, state] of now) {
      const prev = last.get(name) ?? null;
      if (prev !== state) onEvent({ time, name, state, previous: prev });
    }
    for (const [name, prev] of last) if (!now.has(name)) onEvent({ time, name, state: 'DELETED', previous: prev });
    // VPN tunnels: the agent rewrites vpn.json in the runtime directory on every change.
    const nowVpn = vpnSnapshot(paths, now);
    for (const [name, v] of nowVpn) {
      const prev = lastVpn.get(name) ?? null;
      if (prev?.state !== v.state || prev?.message !== v.message) onEvent({ time, name, state: now.get(name)!, previous: now.get(name)!, vpn: { ...v, previous: prev?.state ?? null } });
    }
    for (const [name, prev] of lastVpn) {
      const st = now.get(name);
      if (!nowVpn.has(name) && st) onEvent({ time, name, state: st, previous: st, vpn: { state: 'down', previous: prev.state, message: null } });
    }
    last = now;
    lastVpn = nowVpn;
  };
  // Bursts of notifications (a start writes several files) are coalesced into one check (poke below).
  // One plain inotify watch per directory, not `recursive: true`: Node 20 implements recursive
  // watching on Linux by scanning new subdirectories, and a runtime directory that vanishes right
  // after it appears (a failed start) made that scan throw an uncaught ENOENT.
  const watch = (dir: string): fs.FSWatcher | null => {
    try {
      const w = fs.watch(dir, poke);
      w.on('error', () => w.close());
      return w;
    } catch {
      return null;
    }
  };
  const perSandbox = new Map<string, fs.FSWatcher>();
  const syncWatches = (): void => {
    let present: string[] = [];
    try {
      present = fs.readdirSync(paths.runtime, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      // the runtime directory itself is gone; the poll keeps checking
    }
    for (const [name, w] of perSandbox) {
      if (!present.includes(name)) {
        w.close();
        perSandbox.delete(name);
      }
    }
    for (const name of present) {
      if (perSandbox.has(name)) continue;
      const w = watch(path.join(paths.runtime, name));
      if (w) perSandbox.set(name, w);
    }
  };
  const checkAndSync = (): void => {
    syncWatches();
    check();
  };
  const poke = (): void => {
    if (!scheduled) scheduled = setTimeout(checkAndSync, 15);
  };
  const top = [watch(paths.runtime), watch(`${paths.data}/sandboxes`)];
  syncWatches();
  const poll = setInterval(checkAndSync, opts.pollMs ?? 1000);
  if (opts.initial) check();
  return {
    close() {
      for (const w of top) w?.close();
      for (const w of perSandbox.values()) w.close();
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
    }, { paths, pollMs: 200 });
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
