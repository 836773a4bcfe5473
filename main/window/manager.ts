// The manager window: created with the fixed security options, locked to our renderer file.
import { BrowserWindow, nativeTheme, session, shell } from 'electron';
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

/** Creates the window; `onClosed` lets main release what the window owned. */
export function createManagerWindow(opts: { icon?: string; onClosed(id: number): void; onReady(id: number): void }): ManagerWindow {
  hardenSession();
  const win = new BrowserWindow(windowOptions({ preload: PRELOAD_BUNDLE, dark: nativeTheme.shouldUseDarkColors, ...(opts.icon ? { icon: opts.icon } : {}) }));
  const id = win.webContents.id;
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
  wc.on('did-finish-load', () => opts.onReady(id));
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => opts.onClosed(id));
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
