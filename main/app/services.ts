// Wires the main-side services together without Electron: the app and the test bridge build the
// same object and differ only in how events leave it and how notices are shown.
import { OpenedFiles } from '../files/opened.js';
import { createHandlers } from '../engine/handlers.js';
import { SandboxFeed, type FeedUpdate } from '../engine/feed.js';
import { stopNoticeFromDisk, vpnDropNotices, vpnNeverUpNotices, type Notice } from '../engine/notices.js';
import type { Handlers } from '../ipc/dispatch.js';
import type { SandboxSummary, SandtrayEvent } from '../ipc/contract.js';
import { LogFollowers } from '../logs/follow.js';
import { SecretBroker } from '../secrets/broker.js';
import type { Keyring } from '../secrets/keyring.js';
import { openInSystemTerminal } from '../system/terminal.js';
import { keepLaunchPrepared } from '../../helpers/api/index.js';
import { TerminalSessions } from '../terminal/sessions.js';

export interface ServiceOptions {
  /** Sends an event to the window(s). */
  emit(event: SandtrayEvent): void;
  /** Shows a desktop notification. */
  notify(notice: Notice): void;
  /** Called after every listing change (the tray re-renders here). */
  onSandboxes?(update: FeedUpdate): void;
  keyring: Keyring;
  openSystemTerminal?(argv: string[]): string;
  /** Seconds a VPN may take to come up before the user is told (default 60). */
  vpnUpGraceSec?: number;
  /** Period of the listing that catches what no event reported (default 30 s). */
  feedPollMs?: number;
  /** The desktop's file chooser for a VPN configuration (the window's "Import VPN..."); null when cancelled. */
  pickVpnFile?(): Promise<string | null>;
  /** Keep a launch step prepared for the next start (default true; runtime/prepared.ts). */
  prepareLaunches?: boolean;
}

export interface Services {
  feed: SandboxFeed;
  terminals: TerminalSessions;
  logs: LogFollowers;
  secrets: SecretBroker;
  files: OpenedFiles;
  handlers: Handlers;
  /** Forgets what a window owned (its terminals end, its log views stop). */
  releaseOwner(owner: number): void;
  close(): void;
}

export function createServices(opts: ServiceOptions): Services {
  // The desktop lives on: its starts take a launch step spawned and compiled ahead.
  const prepared = opts.prepareLaunches ?? true;
  if (prepared) keepLaunchPrepared(true);
  const feed = new SandboxFeed((u) => {
    opts.emit({ type: 'sandboxes', sandboxes: u.sandboxes });
    for (const e of u.events) {
      opts.emit({ type: 'state', name: e.name, state: e.state, previous: e.previous });
      if (e.previous === 'RUNNING' && e.state === 'STOPPED') {
        const n = stopNoticeFromDisk(e.name);
        if (n) opts.notify(n);
      }
    }
    for (const n of vpnDropNotices(u.previous, u.sandboxes)) opts.notify(n);
    checkVpnUp(u.sandboxes);
    opts.onSandboxes?.(u);
  }, undefined, opts.feedPollMs);
  // A tunnel that never comes up changes nothing on disk once it gave up retrying: a timer asks too.
  const toldNeverUp = new Set<string>();
  const seenUp = new Set<string>();
  function checkVpnUp(sandboxes: readonly SandboxSummary[]): void {
    for (const n of vpnNeverUpNotices(sandboxes, new Date(), toldNeverUp, seenUp, opts.vpnUpGraceSec)) opts.notify(n);
  }
  const vpnTimer = setInterval(() => checkVpnUp(feed.sandboxes), 15_000);
  vpnTimer.unref();
  const terminals = new TerminalSessions({
    data: (id, data) => opts.emit({ type: 'terminal-data', id, data }),
    exit: (id, exitCode) => opts.emit({ type: 'terminal-exit', id, exitCode }),
  });
  const logs = new LogFollowers((followId, text) => opts.emit({ type: 'log-data', followId, text }));
  const secrets = new SecretBroker(opts.keyring, (e) => opts.emit(e));
  const files = new OpenedFiles();
  const handlers = createHandlers({
    terminals,
    logs,
    secrets,
    files,
    refresh: () => feed.refresh(),
    openSystemTerminal: opts.openSystemTerminal ?? ((argv) => openInSystemTerminal(argv)),
    ...(opts.pickVpnFile ? { pickVpnFile: opts.pickVpnFile } : {}),
  });
  return {
    feed,
    terminals,
    logs,
    secrets,
    files,
    handlers,
    releaseOwner(owner) {
      terminals.closeOwner(owner);
      logs.closeOwner(owner);
    },
    close() {
      if (prepared) keepLaunchPrepared(false);
      clearInterval(vpnTimer);
      feed.close();
      terminals.closeAll();
    },
  };
}
