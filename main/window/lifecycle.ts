// What main does at each step of a manager window's life, without Electron: the app's window
// manager and the test bridge call the same steps in the order Electron has them.
//
// Electron's order: the BrowserWindow (and its webContents id) exists first; the preload and the
// page's scripts run and may call main at once; `did-finish-load` arrives only after the page's
// load event, behind those calls. A window is therefore trusted from its creation, not from
// did-finish-load; what keeps a foreign page out is the frame check on every call (our main frame,
// showing our own renderer file: `isTrustedSender`), which does not depend on when the call comes.
import type { TrustedSenders } from '../ipc/dispatch.js';

export interface WindowSteps {
  /** The window exists (before its page loads). */
  created(id: number): void;
  /** The page finished loading (after its first calls). */
  loaded(id: number): void;
  /** The page is about to be replaced (a reload) or the renderer went away: what it owned ends. */
  reset(id: number): void;
  /** The window is gone. */
  closed(id: number): void;
}

/** The set of windows main talks to. */
export class WindowTrust implements TrustedSenders {
  readonly webContentsIds = new Set<number>();
  constructor(readonly rendererUrl: string) {}
  has(id: number): boolean {
    return this.webContentsIds.has(id);
  }
}

export interface WindowHooks {
  /** After the page loaded: answer what waited for a window (secret prompts, a view to show). */
  onLoaded?(id: number): void;
  /** Ends what the page owned (its shells, its log views). */
  release(id: number): void;
  onClosed?(id: number): void;
}

export function windowSteps(trust: WindowTrust, hooks: WindowHooks): WindowSteps {
  return {
    created(id) {
      trust.webContentsIds.add(id);
    },
    loaded(id) {
      hooks.onLoaded?.(id);
    },
    reset(id) {
      hooks.release(id);
    },
    closed(id) {
      trust.webContentsIds.delete(id);
      hooks.release(id);
      hooks.onClosed?.(id);
    },
  };
}
