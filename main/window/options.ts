// The manager window's security settings, as plain data so a test can hold them to the rules
// (the renderer is untrusted: isolated, sandboxed, no Node, a strict CSP, no navigation).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserWindowConstructorOptions } from 'electron';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The built renderer (dist/renderer/index.html) and the sandboxed preload bundle. */
export const RENDERER_INDEX = path.resolve(here, '../../renderer/index.html');
export const PRELOAD_BUNDLE = path.resolve(here, '../preload.cjs');

/** file:// URL the window loads; the IPC sender check compares against exactly this document. */
export function rendererUrl(index = RENDERER_INDEX): string {
  return pathToFileURL(index).href;
}

/**
 * Content Security Policy of the window (also in renderer/index.html's meta tag, which is what
 * applies to a file:// page). Scripts only from our own files, no eval, no network at all.
 * style-src allows inline styles because xterm.js writes its theme and cell metrics into <style>
 * elements it creates; no script can be injected through a style.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** BrowserWindow options; webPreferences are the security boundary and never vary. */
export function windowOptions(opts: { preload?: string; dark?: boolean; icon?: string } = {}): BrowserWindowConstructorOptions {
  return {
    width: 1180,
    height: 760,
    minWidth: 760,
    minHeight: 480,
    show: false,
    title: 'Sandtray',
    backgroundColor: opts.dark ? '#16181b' : '#f6f5f2',
    autoHideMenuBar: true,
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: {
      preload: opts.preload ?? PRELOAD_BUNDLE,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: !process.env['SANDTRAY_NO_DEVTOOLS'],
    },
  };
}

/** Navigation the window allows: none, except moving within our own document (hash changes). */
export function isAllowedNavigation(target: string, current: string): boolean {
  try {
    const a = new URL(target);
    const b = new URL(current);
    return a.protocol === 'file:' && a.pathname === b.pathname && a.search === b.search;
  } catch {
    return false;
  }
}

/** Requests the page may make: only files of the renderer folder (no remote content of any kind). */
export function isAllowedRequest(url: string, rendererDir = path.dirname(RENDERER_INDEX)): boolean {
  if (url.startsWith('devtools:') || url.startsWith('data:')) return true;
  try {
    const u = new URL(url);
    if (u.protocol !== 'file:') return false;
    const file = fileURLToPath(u);
    return file === rendererDir || file.startsWith(rendererDir + path.sep);
  } catch {
    return false;
  }
}

/** Permissions the page may get: writing and reading the clipboard (terminal copy and paste), nothing else. */
export function isAllowedPermission(permission: string): boolean {
  return permission === 'clipboard-sanitized-write' || permission === 'clipboard-read';
}
