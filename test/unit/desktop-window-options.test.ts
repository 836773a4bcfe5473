// The manager window's security settings: the renderer is untrusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CSP, PRELOAD_BUNDLE, RENDERER_INDEX, isAllowedNavigation, isAllowedPermission, isAllowedRequest, rendererUrl, windowOptions } from '../../main/window/options.js';
import { ROOT } from '../lib/sandtray.js';
import { isTrustedSender } from '../../main/ipc/dispatch.js';
import { WindowTrust, windowSteps } from '../../main/window/lifecycle.js';

test('webPreferences: isolated, sandboxed, no Node anywhere', () => {
  for (const dark of [false, true]) {
    const w = windowOptions({ dark }).webPreferences!;
    assert.equal(w.contextIsolation, true);
    assert.equal(w.sandbox, true);
    assert.equal(w.nodeIntegration, false);
    assert.equal(w.nodeIntegrationInWorker, false);
    assert.equal(w.nodeIntegrationInSubFrames, false);
    assert.equal(w.webSecurity, true);
    assert.equal(w.allowRunningInsecureContent, false);
    assert.equal(w.webviewTag, false);
    assert.equal(w.experimentalFeatures, false);
    assert.equal(w.navigateOnDragDrop, false);
    assert.equal(w.preload, PRELOAD_BUNDLE);
  }
  assert.ok(PRELOAD_BUNDLE.endsWith(path.join('dist', 'main', 'preload.cjs')));
});

test('the CSP allows only our own scripts and no network', () => {
  const d = Object.fromEntries(CSP.split(';').map((p) => p.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
  assert.equal(d['default-src'], "'none'");
  assert.equal(d['script-src'], "'self'", 'no inline scripts, no eval');
  assert.equal(d['connect-src'], "'none'");
  assert.equal(d['object-src'], "'none'");
  assert.equal(d['frame-src'], "'none'");
  assert.equal(d['base-uri'], "'none'");
  assert.equal(d['form-action'], "'none'");
  assert.ok(!/unsafe-eval|https?:|\*/.test(CSP));
});

test('renderer/index.html carries exactly this CSP and loads nothing remote', () => {
  for (const file of [path.join(ROOT, 'renderer', 'index.html'), RENDERER_INDEX]) {
    const html = fs.readFileSync(file, 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    assert.ok(meta, `${file} has a CSP meta tag`);
    assert.equal(meta[1], CSP);
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'no remote scripts or styles');
    assert.ok(!/<script>/.test(html), 'no inline script');
  }
  assert.ok(fs.existsSync(path.join(path.dirname(RENDERER_INDEX), 'renderer.bundle.js')), 'the bundle is built');
});

test('navigation is denied except within our own document', () => {
  const here = rendererUrl('/opt/app/dist/renderer/index.html');
  assert.equal(isAllowedNavigation(`${here}#/profiles`, here), true);
  for (const target of ['https://example.org/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'file:///opt/app/dist/renderer/other.html', `${here}?x=1`, 'javascript:alert(1)', 'data:text/html,hi', 'chrome://settings', '']) {
    assert.equal(isAllowedNavigation(target, here), false, target);
  }
});

test('requests may only load files of the renderer folder', () => {
  const dir = '/opt/app/dist/renderer';
  assert.equal(isAllowedRequest('file:///opt/app/dist/renderer/styles.css', dir), true);
  assert.equal(isAllowedRequest('data:image/png;base64,AAAA', dir), true);
  for (const url of ['https://cdn.example/x.js', 'http://localhost/', 'ws://127.0.0.1:1/', 'file:///opt/app/dist/renderer-evil/x.js', 'file:///opt/app/dist/renderer/../main/main.js', 'file:///home/u/.ssh/id_ed25519', 'ftp://x/']) {
    assert.equal(isAllowedRequest(url, dir), false, url);
  }
});

test('only clipboard permissions are granted', () => {
  assert.equal(isAllowedPermission('clipboard-sanitized-write'), true);
  assert.equal(isAllowedPermission('clipboard-read'), true);
  for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'fullscreen', 'pointerLock', 'hid', 'serial', 'usb', 'fileSystem']) assert.equal(isAllowedPermission(p), false, p);
});

test('the window module wires the guards (new windows denied, navigation and webviews blocked)', () => {
  const src = fs.readFileSync(path.join(ROOT, 'main', 'window', 'manager.ts'), 'utf8');
  assert.match(src, /setWindowOpenHandler\([^]*action: 'deny'/);
  assert.match(src, /'will-navigate'[^]*isAllowedNavigation/);
  assert.match(src, /'will-attach-webview', \(e\) => e\.preventDefault\(\)/);
  assert.match(src, /onBeforeRequest[^]*isAllowedRequest/);
  assert.match(src, /setPermissionRequestHandler/);
  assert.match(src, /new BrowserWindow\(windowOptions\(/);
});

test('a window is trusted from its creation, before did-finish-load, and each call still shows its frame', () => {
  const trust = new WindowTrust(rendererUrl());
  const released: number[] = [];
  const steps = windowSteps(trust, { release: (id) => released.push(id) });
  const ours = { webContentsId: 7, frameUrl: rendererUrl(), isMainFrame: true };
  assert.equal(isTrustedSender(ours, trust), false, 'no window yet');
  steps.created(7);
  // The page's first calls come before did-finish-load.
  assert.equal(isTrustedSender(ours, trust), true);
  assert.equal(isTrustedSender({ ...ours, frameUrl: 'https://example.test/' }, trust), false, 'a navigated frame is not ours');
  assert.equal(isTrustedSender({ ...ours, isMainFrame: false }, trust), false, 'a subframe is not ours');
  steps.loaded(7);
  steps.reset(7);
  assert.deepEqual(released, [7], 'a reload ends what the old page owned');
  assert.equal(isTrustedSender(ours, trust), true, 'the reloaded page is still our window');
  steps.closed(7);
  assert.equal(isTrustedSender(ours, trust), false);
  assert.deepEqual(released, [7, 7]);
});
