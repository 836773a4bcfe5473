// Test bridge for the manager window: serves the built renderer over HTTP on 127.0.0.1 and exposes
// the same typed API as the preload, implemented by the same main-side dispatcher and handlers. A
// shim script in the page maps window.sandtray onto it, so the real UI runs in a real browser
// against the real engine; only the transport differs from Electron's IPC.
//
// It keeps Electron's order of events, which is what main's window handling depends on:
// - the window exists (main's `created` step) before its page is requested;
// - messages from a page reach main in the order the page sent them, as on one IPC channel: every
//   message carries a sequence number and the bridge handles them strictly in that order, however
//   the browser's connections deliver them;
// - `did-finish-load` (main's `loaded` step) is a message the page sends after its load event, so
//   it reaches main behind the calls the page's scripts made while loading;
// - a second load of a window's page (a reload) is a new document in the same window (`reset`);
// - events reach only the windows main trusts, and a page gets them once its script listens;
// - replies and events are separate messages: an event main sends after a call's reply may reach
//   the page first, so the window never depends on that order, and `holdReply` makes a test of it.
// Each call is judged by main's own frame check (`isTrustedSender`): the bridge reports a page of
// its own origin as main's renderer file, anything else as what it is.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDispatcher, frameSenderPolicy, type Handlers, type SenderInfo } from '../../main/ipc/dispatch.js';
import { eventSchema, type SandtrayEvent } from '../../main/ipc/contract.js';
import { WindowTrust, windowSteps, type WindowHooks } from '../../main/window/lifecycle.js';
import { CSP, rendererUrl } from '../../main/window/options.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RENDERER_DIR = path.join(ROOT, 'dist', 'renderer');

const SHIM = `(() => {
  const token = document.currentScript.dataset.token;
  const doc = Math.random().toString(36).slice(2);
  let seq = 0;
  const listeners = new Set();
  const post = (msg) => fetch('/msg', { method: 'POST', headers: { 'content-type': 'application/json', 'x-bridge-token': token }, body: JSON.stringify({ doc, seq: ++seq, ...msg }) }).then((r) => r.json());
  let events = null;
  window.addEventListener('load', () => { void post({ kind: 'loaded' }); });
  window.sandtray = Object.freeze({
    invoke: (op, request) => post({ kind: 'invoke', op, payload: request }),
    onEvent: (l) => {
      if (!events) {
        events = new EventSource('/events?token=' + encodeURIComponent(token) + '&doc=' + doc);
        events.onmessage = (m) => { const e = JSON.parse(m.data); for (const x of listeners) x(e); };
      }
      listeners.add(l);
      return () => listeners.delete(l);
    },
  });
})();`;

interface BridgeWindow {
  id: number;
  token: string;
  /** Documents this window has shown, each with its next expected message number and the ones early. */
  docs: Map<string, { next: number; early: Map<number, () => void> }>;
  loads: number;
  events: Set<http.ServerResponse>;
}

export interface Bridge {
  /** Opens a window (main's `created` step) and returns the URL its page loads. */
  newWindow(): { id: number; url: string };
  /** The window of a page URL from newWindow. */
  closeWindow(id: number): void;
  emit(event: SandtrayEvent): void;
  /** Resolves once at least n pages listen to events (30 s at most, then it throws). */
  waitForClients(n?: number): Promise<void>;
  /**
   * How many pages (documents) have opened their event stream so far. A reloaded page is a new
   * one; a page whose stream reconnects is not.
   */
  readonly connections: number;
  /**
   * Resolves once a page opens its event stream after `connections` read `after` (30 s at most).
   * After a reload the old page's stream is dropped only when its connection closes, so a count
   * of open streams can be met by the old page alone: this waits for the new one.
   */
  waitForConnection(after: number): Promise<void>;
  /**
   * Holds the next reply to `op` until `until` resolves: events main sends meanwhile can reach the
   * page before the reply, which separate messages may do in any transport.
   */
  holdReply(op: string, until: (value: unknown) => Promise<void>): void;
  /** How many calls main refused as not coming from a trusted window. */
  readonly refused: number;
  readonly trust: WindowTrust;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png' };

export async function startBridge(handlers: Handlers, hooks: Partial<WindowHooks> = {}): Promise<Bridge> {
  const windows = new Map<string, BridgeWindow>();
  const byId = new Map<number, BridgeWindow>();
  let nextId = 100;
  let origin = '';
  let refused = 0;
  const holds = new Map<string, (value: unknown) => Promise<void>>();
  // Documents that have opened an event stream, and tests waiting for a stream to open.
  const streamDocs = new Set<string>();
  const streamWaiters = new Set<() => void>();
  const streamOpened = (): void => {
    for (const w of [...streamWaiters]) w();
  };
  /** Resolves once met() holds, checked now and at every stream opened; rejects after 30 s. */
  const waitStreams = (met: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (met()) return resolve();
      const check = (): void => {
        if (!met()) return;
        streamWaiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        streamWaiters.delete(check);
        reject(new Error(what));
      }, 30_000);
      streamWaiters.add(check);
    });
  const fileUrl = rendererUrl();
  const trust = new WindowTrust(fileUrl);
  const steps = windowSteps(trust, { release: () => undefined, ...hooks });
  // The same dispatcher and sender policy main uses.
  const dispatch = createDispatcher<SenderInfo>(handlers, frameSenderPolicy(trust));

  function senderOf(req: http.IncomingMessage, w: BridgeWindow | undefined): SenderInfo {
    const from = req.headers.origin ?? '';
    return { webContentsId: w?.id ?? -1, frameUrl: from === origin ? fileUrl : from, isMainFrame: true };
  }

  function onMessage(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const w = windows.get(req.headers['x-bridge-token'] as string);
    let msg: { doc?: unknown; seq?: unknown; kind?: unknown; op?: unknown; payload?: unknown } = {};
    try {
      msg = JSON.parse(body) as typeof msg;
    } catch {
      // dispatch rejects it
    }
    const reply = (v: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    };
    const handle = (): void => {
      if (msg.kind === 'loaded') {
        if (w) steps.loaded(w.id);
        reply({ ok: true, value: null });
        return;
      }
      // The sender check runs synchronously in dispatch, so the order of handling is the order checked.
      const pending = dispatch(msg.op, msg.payload, senderOf(req, w));
      const hold = typeof msg.op === 'string' ? holds.get(msg.op) : undefined;
      if (hold) holds.delete(msg.op as string);
      void pending.then(async (env) => {
        if (!env.ok && env.error.code === 'FORBIDDEN') refused += 1;
        if (hold && env.ok) await hold(env.value).catch(() => undefined);
        reply(env);
      });
    };
    if (!w || typeof msg.doc !== 'string' || typeof msg.seq !== 'number') {
      handle();
      return;
    }
    let d = w.docs.get(msg.doc);
    if (!d) {
      d = { next: 1, early: new Map() };
      w.docs.set(msg.doc, d);
    }
    d.early.set(msg.seq, handle);
    for (let run = d.early.get(d.next); run; run = d.early.get(d.next)) {
      d.early.delete(d.next);
      d.next += 1;
      run();
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'POST' && url.pathname === '/msg') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => onMessage(req, res, body));
      return;
    }
    if (url.pathname === '/events') {
      const w = windows.get(url.searchParams.get('token') ?? '');
      if (!w) {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': hello\n\n');
      w.events.add(res);
      req.on('close', () => w.events.delete(res));
      streamDocs.add(url.searchParams.get('doc') ?? '');
      streamOpened();
      return;
    }
    if (url.pathname === '/bridge-shim.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(SHIM);
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const file = path.join(RENDERER_DIR, rel);
    if (!file.startsWith(RENDERER_DIR + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    let data: string | Buffer = fs.readFileSync(file);
    if (rel === 'index.html') {
      const w = windows.get(url.searchParams.get('window') ?? '');
      if (!w) {
        res.writeHead(404).end('open pages through newWindow()');
        return;
      }
      // A second load of the window's page is a reload: a new document in the same window.
      if (w.loads++ > 0) steps.reset(w.id);
      // The page keeps the app's CSP except that it may talk to this bridge, and it loads the shim first.
      const csp = CSP.replace("connect-src 'none'", "connect-src 'self'");
      data = data.toString('utf8')
        .replace(/<meta http-equiv="Content-Security-Policy" content="[^"]*">/, `<meta http-equiv="Content-Security-Policy" content="${csp}">`)
        .replace('<script defer src="renderer.bundle.js">', `<script src="bridge-shim.js" data-token="${w.token}"></script>\n  <script defer src="renderer.bundle.js">`);
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const all = (): BridgeWindow[] => [...windows.values()];
  return {
    newWindow() {
      const w: BridgeWindow = { id: nextId++, token: randomBytes(16).toString('hex'), docs: new Map(), loads: 0, events: new Set() };
      windows.set(w.token, w);
      byId.set(w.id, w);
      steps.created(w.id);
      return { id: w.id, url: `${origin}/?window=${w.token}` };
    },
    closeWindow(id) {
      const w = byId.get(id);
      if (!w) return;
      for (const c of w.events) c.end();
      windows.delete(w.token);
      byId.delete(id);
      steps.closed(id);
    },
    emit(event) {
      const line = `data: ${JSON.stringify(eventSchema.parse(event))}\n\n`;
      for (const w of all()) if (trust.has(w.id)) for (const c of w.events) c.write(line);
    },
    waitForClients(n = 1) {
      return waitStreams(() => all().reduce((k, w) => k + w.events.size, 0) >= n, 'the page never connected to the bridge');
    },
    get connections() {
      return streamDocs.size;
    },
    waitForConnection(after) {
      return waitStreams(() => streamDocs.size > after, 'no new page connected to the bridge');
    },
    holdReply(op, until) {
      holds.set(op, until);
    },
    get refused() {
      return refused;
    },
    trust,
    async close() {
      for (const w of all()) for (const c of w.events) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Debian's Chromium, headless, as every desktop test drives it (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<import('playwright-core').Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The main-side services, the bridge and a page in Chromium, wired as the app wires them. */
export interface Desktop {
  services: import('../../main/app/services.js').Services;
  bridge: Bridge;
  browser: import('playwright-core').Browser;
  page: import('playwright-core').Page;
  /** Closes the page's browser, the bridge and the services, in that order. */
  close(): Promise<void>;
}

/**
 * A desktop for a window test: services with no keyring entries and no system terminal, the feed
 * started, the bridge, and a page (not yet pointed at a window). colorScheme as Chromium takes it.
 */
export async function startDesktop(opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<Desktop> {
  const { createServices } = await import('../../main/app/services.js');
  const keyring = { get: async () => null, set: async () => undefined, remove: async () => false };
  let bridge: Bridge | undefined;
  const services = createServices({ emit: (ev) => bridge?.emit(ev), notify: () => undefined, keyring, openSystemTerminal: () => '/usr/bin/true' });
  services.feed.start();
  let browser: import('playwright-core').Browser | undefined;
  try {
    bridge = await startBridge(services.handlers, { onLoaded: () => services.secrets.replay(), release: (id) => services.releaseOwner(id) });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}) });
    const [b, br] = [bridge, browser];
    return {
      services, bridge: b, browser: br, page,
      async close() {
        await br.close();
        await b.close();
        services.close();
      },
    };
  } catch (err) {
    await browser?.close();
    await bridge?.close();
    services.close();
    throw err;
  }
}
