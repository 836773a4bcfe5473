// Live engine state for the tray and the window: the engine's state events (inotify on each
// sandbox's runtime and data folder) drive a fresh listing, so a change made anywhere shows up
// within milliseconds.
import { listSandboxes, sandtrayPaths, watchStates, type Paths, type StateEvent, type Watcher } from '../../helpers/api/index.js';
import { summarySchema, type SandboxSummary } from '../ipc/contract.js';
import { appsOf } from './apps.js';
import { withVpnStatus } from './vpn-status.js';

/** Current summaries, parsed with the contract (engine fields such as a VPN status pass when present). */
export function readSummaries(paths: Paths = sandtrayPaths()): SandboxSummary[] {
  return listSandboxes(paths).map((s) => withVpnStatus(summarySchema.parse({ ...s, apps: appsOf(s.name, paths) })));
}

export interface FeedUpdate {
  sandboxes: SandboxSummary[];
  previous: SandboxSummary[];
  events: StateEvent[];
}

/** Watches the engine and calls onUpdate with every changed listing. */
export class SandboxFeed {
  private current: SandboxSummary[] = [];
  private pendingEvents: StateEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private watchers: Watcher[] = [];
  private poll: NodeJS.Timeout | null = null;

  /** pollMs: the safety net's period; every change arrives as an event long before it. */
  constructor(private readonly onUpdate: (u: FeedUpdate) => void, private readonly paths: Paths = sandtrayPaths(), private readonly pollMs = 30_000) {}

  get sandboxes(): SandboxSummary[] {
    return this.current;
  }

  start(): void {
    this.current = readSummaries(this.paths);
    // Not every change is a state change (a VPN status, a record edit): onChange refreshes on any
    // write in a sandbox's folders too. No recursive fs.watch: on Linux Node 20 scans new subfolders
    // and threw on a folder that vanished at once.
    this.watchers.push(
      watchStates((e) => {
        this.pendingEvents.push(e);
        this.schedule();
      }, { paths: this.paths, onChange: () => this.schedule() }),
    );
    // A safety net only: every change above arrives as an event.
    this.poll = setInterval(() => this.refresh(), this.pollMs);
    this.poll.unref();
  }

  /** Coalesces a burst of notifications into one listing (a start writes several files). */
  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, 20);
  }

  /** Lists again and reports when anything differs; also used right after our own actions. */
  refresh(): void {
    let next: SandboxSummary[];
    try {
      next = readSummaries(this.paths);
    } catch {
      return;
    }
    const events = this.pendingEvents;
    this.pendingEvents = [];
    if (!events.length && JSON.stringify(next) === JSON.stringify(this.current)) return;
    const previous = this.current;
    this.current = next;
    this.onUpdate({ sandboxes: next, previous, events });
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
  }
}
