// The VPN agent: one small process per VPN sandbox that answers the client (hold, passwords),
// puts the tunnel into the sandbox when it comes up, and records the tunnel's state for
// `vpn status` and `monitor`. It gets its instructions and secrets on stdin, never in argv.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { isAlive } from '../host/proc.js';
import { stopHelper } from '../network/helper-proc.js';
import { logEvent } from '../runtime/log.js';
import { PASTA_LINK } from '../network/pasta.js';
import { configureDevice, hasDevice, moveDevice, writeResolvConf } from './apply.js';
import { CONNECTING_STATES, mgmtQuote, parseMgmtLine, pushReplyOf } from './management.js';
import { writeVpnStatus, type VpnState, type VpnStatus } from './status.js';
import { openvpnTunnel, splitPushReply, type TunnelSettings } from './tunnel.js';
import { wgHandshakes } from './wireguard.js';

const procId = z.object({ pid: z.number(), start: z.number() });
const helper = procId.extend({ what: z.string() });

export const agentSpecSchema = z.object({
  name: z.string(),
  type: z.enum(['openvpn', 'wireguard']),
  init: procId,
  uplink: procId,
  client: helper,
  /** Everything to stop when the sandbox dies under us (pasta, the client, the uplink). */
  helpers: z.array(helper),
  runtimeDir: z.string(),
  logFile: z.string(),
  resolvFile: z.string(),
  dev: z.string(),
  openvpn: z.object({
    socket: z.string(),
    directives: z.array(z.object({ name: z.string(), args: z.array(z.string()), line: z.number() })),
    secrets: z.record(z.string(), z.string()),
  }).optional(),
  wireguard: z.object({
    /** The settings applied at start (shown by status). */
    settings: z.object({ addresses: z.array(z.string()), routes: z.array(z.string()), dns: z.array(z.string()), domains: z.array(z.string()), mtu: z.number() }),
    endpoint: z.string().nullable(),
    /** Namespaces where `wg` finds the interface: the uplink's (userspace) or the sandbox's (kernel). */
    wgPid: z.number(),
    wgNamespaces: z.array(z.enum(['net', 'mount'])),
  }).optional(),
});
export type AgentSpec = z.infer<typeof agentSpecSchema>;

/** WireGuard drops a session 180 s after its last handshake (REJECT_AFTER_TIME). */
const WG_STALE_SEC = 180;

class Agent {
  private status: VpnStatus;
  private everConnected = false;
  private stopping = false;

  constructor(private spec: AgentSpec) {
    const wg = spec.wireguard?.settings;
    this.status = {
      type: spec.type,
      state: 'connecting',
      since: new Date().toISOString(),
      message: null,
      device: spec.dev,
      addresses: wg?.addresses ?? [],
      routes: wg?.routes ?? [],
      dns: wg?.dns ?? [],
      domains: wg?.domains ?? [],
      endpoint: spec.wireguard?.endpoint ?? null,
      mtu: wg?.mtu ?? null,
    };
    this.write();
  }

  log(msg: string): void {
    logEvent(this.spec.logFile, `vpn: ${msg}`);
  }

  write(): void {
    try {
      writeVpnStatus({ runtime: this.spec.runtimeDir }, this.status);
    } catch {
      // the runtime directory is gone: the sandbox is being stopped
    }
  }

  set(state: VpnState, message: string | null, extra: Partial<VpnStatus> = {}): void {
    const changed = state !== this.status.state || message !== this.status.message;
    this.status = { ...this.status, ...extra, state, message, since: state !== this.status.state ? new Date().toISOString() : this.status.since };
    if (state === 'connected') this.everConnected = true;
    if (changed) this.log(`${state}${message ? `: ${message}` : ''}`);
    this.write();
  }

  /** Ends when the sandbox is gone; then nothing of it may stay behind. */
  async watchSandbox(): Promise<never> {
    for (;;) {
      if (!isAlive(this.spec.init)) {
        this.stopping = true;
        for (const h of this.spec.helpers) await stopHelper(h);
        process.exit(0);
      }
      await sleep(1000);
    }
  }

  async runOpenvpn(): Promise<void> {
    const o = this.spec.openvpn!;
    const sock = await connectRetry(o.socket, 15_000, () => isAlive(this.spec.client));
    if (!sock) {
      this.set('failed', 'the OpenVPN client exited before it could be reached; see `sandtray log`');
      return;
    }
    const send = (cmd: string): void => {
      sock.write(`${cmd}\n`);
    };
    let pushed: string[] = [];
    let pushPending = false;
    let failed: string | null = null;
    const refused = new Set<string>();
    let buf = '';
    let queue = Promise.resolve();
    const done = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const ev = parseMgmtLine(line);
        switch (ev.kind) {
          case 'hold':
            send('hold release');
            break;
          case 'password-needed': {
            // Never answer again with a secret that was refused: that would be a retry storm.
            if (refused.has(ev.what)) {
              send('signal SIGTERM');
              break;
            }
            const isAuth = ev.userPass;
            const user = o.secrets['username'];
            const pass = isAuth ? o.secrets['password'] : o.secrets['key-passphrase'];
            if (!pass || (isAuth && !user)) {
              failed = `OpenVPN asked for ${isAuth ? 'a user name and password' : `the ${ev.what} password`}, and none is stored`;
              this.set('failed', `${failed}; store it with \`sandtray secret set ${this.spec.name} ${isAuth ? 'password' : 'key-passphrase'}\``);
              send('signal SIGTERM');
              break;
            }
            if (isAuth) send(`username ${mgmtQuote(ev.what)} ${mgmtQuote(user!)}`);
            send(`password ${mgmtQuote(ev.what)} ${mgmtQuote(pass)}`);
            break;
          }
          case 'password-failed':
            refused.add(ev.what);
            failed = ev.what === 'Auth' ? 'authentication failed: the server refused the user name or password' : 'the private key passphrase is wrong';
            this.set('failed', `${failed}; fix it with \`sandtray secret set ${this.spec.name} ${ev.what === 'Auth' ? 'password' : 'key-passphrase'}\`, then restart the sandbox`);
            break;
          case 'log': {
            const reply = pushReplyOf(ev.message);
            if (reply) {
              const opts = splitPushReply(reply);
              if (!pushPending) pushed = [];
              pushPending = opts.includes('push-continuation 2');
              pushed.push(...opts.filter((x) => !x.startsWith('push-continuation')));
            }
            break;
          }
          case 'fatal':
            if (failed) break;
            failed = /private key password verification failed/i.test(ev.message)
              ? `the private key passphrase is wrong; fix it with \`sandtray secret set ${this.spec.name} key-passphrase\`, then restart the sandbox`
              : ev.message;
            this.set('failed', failed);
            break;
          case 'state':
            if (ev.name === 'CONNECTED') {
              const remote = ev.remote === PASTA_LINK.gateway ? '127.0.0.1' : ev.remote;
              const endpoint = remote ? `${remote.includes(':') ? `[${remote}]` : remote}:${ev.remotePort}` : null;
              const settings = openvpnTunnel(pushed, o.directives, this.spec.dev);
              queue = queue.then(() => this.bringUp(settings, endpoint));
            } else if (ev.name === 'RECONNECTING') {
              if (!failed) this.set(this.everConnected ? 'reconnecting' : 'connecting', ev.detail ? `lost the connection (${ev.detail}), trying again` : null);
            } else if (ev.name === 'EXITING') {
              if (!failed) this.set('failed', `the OpenVPN client stopped (${ev.detail || 'exit'})`);
              failed = failed ?? ev.detail;
            } else if (CONNECTING_STATES.has(ev.name) && this.status.state === 'connected') {
              this.set('reconnecting', null);
            }
            break;
          default:
            break;
        }
      }
    });
    send('state on');
    send('log on');
    send('hold release');
    await done;
    await queue.catch(() => undefined);
    if (!this.stopping && this.status.state !== 'failed') this.set('failed', 'the OpenVPN client exited; see `sandtray log`');
  }

  private async bringUp(s: TunnelSettings, endpoint: string | null): Promise<void> {
    try {
      if (hasDevice(this.spec.uplink.pid, s.dev)) await moveDevice(this.spec.uplink.pid, this.spec.init.pid, s.dev);
      await configureDevice(this.spec.init.pid, s);
      writeResolvConf(this.spec.resolvFile, s, this.spec.name);
      for (const x of s.skipped) this.log(`not applied: ${x}`);
      this.set('connected', null, {
        addresses: s.addresses.map((a) => (a.peer ? `${a.address} peer ${a.peer}` : a.address)),
        routes: s.routes,
        dns: s.dns,
        domains: s.domains,
        endpoint,
        mtu: s.mtu,
      });
    } catch (err) {
      this.set('failed', `could not set up the tunnel inside the sandbox: ${(err as Error).message}`);
    }
  }

  async runWireguard(): Promise<void> {
    const w = this.spec.wireguard!;
    for (;;) {
      if (!isAlive(this.spec.client)) {
        this.set('failed', `${this.spec.client.what} exited; the sandbox has no route out until it is restarted`);
        return;
      }
      try {
        const hs = await wgHandshakes(w.wgPid, w.wgNamespaces);
        const latest = Math.max(0, ...hs);
        const age = Date.now() / 1000 - latest;
        if (latest > 0 && age < WG_STALE_SEC) this.set('connected', null);
        else if (latest > 0) this.set('reconnecting', `no handshake for ${Math.round(age)} s`);
        else if (this.everConnected) this.set('reconnecting', null);
        else this.set('connecting', 'waiting for the first handshake with the peer');
      } catch (err) {
        if (isAlive(this.spec.client)) this.log(`reading the WireGuard state failed: ${(err as Error).message}`);
      }
      await sleep(this.status.state === 'connected' ? 5000 : 1000);
    }
  }
}

async function connectRetry(path: string, timeoutMs: number, stillWorth: () => boolean): Promise<net.Socket | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && stillWorth()) {
    const s = await new Promise<net.Socket | null>((resolve) => {
      const c = net.connect(path);
      c.once('connect', () => resolve(c));
      c.once('error', () => resolve(null));
    });
    if (s) return s;
    await sleep(50);
  }
  return null;
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

/** Entry point: `node agent.js` with the spec on stdin. */
export async function agentMain(): Promise<void> {
  const spec = agentSpecSchema.parse(JSON.parse(await readStdin()));
  const agent = new Agent(spec);
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  void agent.watchSandbox();
  if (spec.type === 'openvpn') await agent.runOpenvpn();
  else await agent.runWireguard();
  // A failed tunnel stays failed: keep watching the sandbox so its helpers go with it.
  await new Promise(() => undefined);
}
