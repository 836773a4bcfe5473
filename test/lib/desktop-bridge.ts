// Test bridge for the manager window: serves the built renderer over HTTP on 127.0.0.1 and exposes
// the same typed API as the preload, implemented by the same main-side dispatcher and handlers. A
// shim script in the page maps window.sandtray onto it, so the real UI runs in a real browser
// against the real engine; only the transport differs from Electron's IPC.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDispatcher, type Handlers } from '../../main/ipc/dispatch.js';
import { eventSchema, type SandtrayEvent } from '../../main/ipc/contract.js';
import { CSP } from '../../main/window/options.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RENDERER_DIR = path.join(ROOT, 'dist', 'renderer');

const SHIM = `(() => {
  const token = document.currentScript.dataset.token;
  const listeners = new Set();
  const events = new EventSource('/events?token=' + encodeURIComponent(token));
  events.onmessage = (m) => { const e = JSON.parse(m.data); for (const l of listeners) l(e); };
  window.sandtray = Object.freeze({
    invoke: (op, request) => fetch('/invoke', { method: 'POST', headers: { 'content-type': 'application/json', 'x-bridge-token': token }, body: JSON.stringify({ op, payload: request }) }).then((r) => r.json()),
    onEvent: (l) => { listeners.add(l); return () => listeners.delete(l); },
  });
})();`;

interface BridgeSender {
  token: string | undefined;
  origin: string | undefined;
}

export interface Bridge {
  url: string;
  emit(event: SandtrayEvent): void;
  /** Resolves once at least n pages listen to events. */
  waitForClients(n?: number): Promise<void>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png' };

export async function startBridge(handlers: Handlers): Promise<Bridge> {
  const token = randomBytes(16).toString('hex');
  const clients = new Set<http.ServerResponse>();
  let origin = '';
  // The same dispatcher main uses; the sender check is the bridge's: our token, from our own origin.
  const dispatch = createDispatcher<BridgeSender>(handlers, {
    allowed: (s) => s.token === token && s.origin === origin,
    context: () => ({ senderId: 1 }),
  });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'POST' && url.pathname === '/invoke') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        let msg: { op?: unknown; payload?: unknown } = {};
        try {
          msg = JSON.parse(body) as typeof msg;
        } catch {
          // dispatch rejects it
        }
        const sender = { token: req.headers['x-bridge-token'] as string | undefined, origin: req.headers.origin };
        void dispatch(msg.op, msg.payload, sender).then((env) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(env));
        });
      });
      return;
    }
    if (url.pathname === '/events') {
      if (url.searchParams.get('token') !== token) {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': hello\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
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
      // The page keeps the app's CSP except that it may talk to this bridge, and it loads the shim first.
      const csp = CSP.replace("connect-src 'none'", "connect-src 'self'");
      data = data.toString('utf8')
        .replace(/<meta http-equiv="Content-Security-Policy" content="[^"]*">/, `<meta http-equiv="Content-Security-Policy" content="${csp}">`)
        .replace('<script defer src="renderer.bundle.js">', `<script src="bridge-shim.js" data-token="${token}"></script>\n  <script defer src="renderer.bundle.js">`);
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    emit(event) {
      const line = `data: ${JSON.stringify(eventSchema.parse(event))}\n\n`;
      for (const c of clients) c.write(line);
    },
    async waitForClients(n = 1) {
      for (let i = 0; i < 200 && clients.size < n; i++) await new Promise((r) => setTimeout(r, 25));
      if (clients.size < n) throw new Error('the page never connected to the bridge');
    },
    async close() {
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
