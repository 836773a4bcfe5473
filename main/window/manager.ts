// The manager window: created with the fixed security options, locked to our renderer file.
import { BrowserWindow, nativeTheme, session, shell } from 'electron';
import type { WindowSteps } from './lifecycle.js';
import { PRELOAD_BUNDLE, RENDERER_INDEX, isAllowedNavigation, isAllowedPermission, isAllowedRequest, rendererUrl, windowOptions } from './options.js';

let hardened = false;

/** Session-wide rules: no remote requests, no permissions beyond the clipboard. Applied once. */
function hardenSession(): void {
  if (hardened) return;
  hardened = true;
  const ses = session.defaultSession;
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(isAllowedPermission(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => isAllowedPermission(permission));
}

export interface ManagerWindow {
  window: BrowserWindow;
  /** Shows the window and optionally jumps to a view (the hash is read by the renderer). */
  reveal(): void;
}

/**
 * Creates the window and reports its steps to main in Electron's order: created at once (the page
 * may call before it finished loading), loaded, reset on a reload or a crashed renderer, closed.
 */
export function createManagerWindow(opts: { icon?: string; steps: WindowSteps; onCrash?(reason: string): void }): ManagerWindow {
  hardenSession();
  const win = new BrowserWindow(windowOptions({ preload: PRELOAD_BUNDLE, dark: nativeTheme.shouldUseDarkColors, ...(opts.icon ? { icon: opts.icon } : {}) }));
  const id = win.webContents.id;
  const { steps } = opts;
  let crashes = 0;
  steps.created(id);
  const url = rendererUrl();
  const wc = win.webContents;
  wc.on('will-navigate', (e, target) => {
    if (!isAllowedNavigation(target, url)) e.preventDefault();
  });
  wc.on('will-redirect', (e) => e.preventDefault());
  wc.on('will-attach-webview', (e) => e.preventDefault());
  wc.setWindowOpenHandler(({ url: target }) => {
    // Links to documentation open in the user's browser, never inside the app.
    if (/^https:\/\//.test(target)) void shell.openExternal(target);
    return { action: 'deny' };
  });
  // A new document in the main frame (a reload, Ctrl+R in a development build): the old page's
  // shells and log views end with it instead of running on unseen.
  wc.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) steps.reset(id);
  });
  wc.on('did-finish-load', () => steps.loaded(id));
  wc.on('render-process-gone', (_e, details) => {
    steps.reset(id);
    if (details.reason === 'clean-exit') return;
    opts.onCrash?.(details.reason);
    // A fresh page replaces the dead one, three times at most: one that keeps dying stays closed.
    crashes += 1;
    if (crashes <= 3 && details.reason !== 'launch-failed' && details.reason !== 'integrity-failure' && !win.isDestroyed()) wc.reload();
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => steps.closed(id));
  void win.loadFile(RENDERER_INDEX);
  return {
    window: win,
    reveal() {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    },
  };
}
