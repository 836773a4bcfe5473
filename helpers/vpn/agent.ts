// The VPN agent: one small process per VPN sandbox that answers the client (hold, passwords),
// puts the tunnel into the sandbox when it comes up, and records the tunnel's state for
// `vpn status` and `monitor`. It gets its instructions and secrets on stdin, never in argv.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { SandtrayError } from '../core/errors.js';
import { checkStateDir } from '../core/trust.js';
import { isAlive } from '../host/proc.js';
import { stopHelper } from '../network/helper-proc.js';
import { logEvent } from '../runtime/log.js';
import { PASTA_LINK } from '../network/pasta.js';
import { configureDevice, hasDevice, moveDevice, writeResolvConf } from './apply.js';
import { CONNECTING_STATES, mgmtQuote, NOT_REACHED, ONE_TIME_CODE, OPTIONS_REFUSED, parseMgmtLine, pushReplyOf, scrubClientLine, scrubMessage, staticChallengeResponse, unsupportedAuth } from './management.js';
import { writeVpnStatus, type VpnState, type VpnStatus } from './status.js';
import { openvpnTunnel, splitPushReply, type TunnelSettings } from './tunnel.js';
import { wgHandshakes, wgSentBytes } from './wireguard.js';
import { vpnTypes } from '../profile/schema.js';

const procId = z.object({ pid: z.number(), start: z.number() });
const helper = procId.extend({ what: z.string() });

export const agentSpecSchema = z.object({
  name: z.string(),
  type: z.enum(vpnTypes),
  init: procId,
  uplink: procId,
  client: helper,
  /** Everything to stop when the sandbox dies under us (pasta, the client, the uplink). */
  helpers: z.array(helper),
  runtimeDir: z.string(),
  logFile: z.string(),
  resolvFile: z.string(),
  dev: z.string(),
  /** The pipe the jailed client writes its output to: the agent relays it to the lifecycle log. */
  output: z.string().optional(),
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

/** What the agent remembers of a handshake that has gone stale: the bytes sent when it saw that. */
export interface WgStale {
  latest: number;
  sentAtStale: number;
  /** Something was sent since: WireGuard tried a new handshake and got no answer. */
  trying: boolean;
}

/**
 * The state of a WireGuard tunnel from the latest handshake (seconds since the epoch, 0: never)
 * and the bytes sent to the peers. WireGuard shakes hands only when it has something to send, so
 * an old handshake alone means an idle tunnel, not a lost one: it is "reconnecting" only once
 * something was sent after the session expired and no handshake followed. Messages name fixed
 * times, never a running count, so a state is logged and reported once, not every second.
 */
export function wireguardState(nowSec: number, latest: number, sent: number, stale: WgStale | null, everConnected: boolean): { state: VpnState; message: string | null; stale: WgStale | null } {
  if (latest === 0) {
    return everConnected
      ? { state: 'reconnecting', message: 'no handshake with the peer', stale: null }
      : { state: 'connecting', message: 'waiting for the first handshake with the peer', stale: null };
  }
  if (nowSec - latest < WG_STALE_SEC) return { state: 'connected', message: null, stale: null };
  const s: WgStale = stale && stale.latest === latest ? { ...stale } : { latest, sentAtStale: sent, trying: false };
  if (sent > s.sentAtStale) s.trying = true;
  const since = new Date(latest * 1000).toISOString();
  return s.trying
    ? { state: 'reconnecting', message: `no answer from the peer since ${since}`, stale: s }
    : { state: 'connected', message: `idle since ${since}: WireGuard shakes hands again when there is traffic`, stale: s };
}

class Agent {
  private status: VpnStatus;
  private everConnected = false;
  private stopping = false;

  /** Every secret the agent holds: never written to the log or the status. */
  private readonly secrets: string[];

  constructor(private spec: AgentSpec) {
    this.secrets = Object.values(spec.openvpn?.secrets ?? {});
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
  }

  log(msg: string): void {
    logEvent(this.spec.logFile, `vpn: ${msg}`);
  }

  private refusedWrite = false;

  /** OpenVPN's own `Options error: ...` line, when the client printed one: why it stopped. */
  private optionsError: string | null = null;

  /** Resolves once the client's output has ended (the client and its jail are gone). */
  private outputEnded: Promise<void> = Promise.resolve();

  /**
   * Records the status in the runtime directory: a new file renamed into place, only in a folder of
   * ours that no one else can write (core/trust.ts), so nothing planted there is written through.
   */
  write(): void {
    try {
      writeVpnStatus({ runtime: this.spec.runtimeDir }, this.status);
    } catch (err) {
      // Gone: the sandbox is being stopped. Refused: said once in the log.
      if (err instanceof SandtrayError && err.code === 'UNTRUSTED_PATH' && !this.refusedWrite) {
        this.refusedWrite = true;
        this.log(`not writing the tunnel status: ${err.message}`);
      }
    }
  }

  /** Text the client wrote (a fatal error, a reason), as a state message may quote it. */
  private clean(text: string): string {
    return scrubMessage(text, this.secrets) ?? '';
  }

  set(state: VpnState, message: string | null, extra: Partial<VpnStatus> = {}): void {
    const changed = state !== this.status.state || message !== this.status.message;
    this.status = { ...this.status, ...extra, state, message, since: state !== this.status.state ? new Date().toISOString() : this.status.since };
    if (state === 'connected') this.everConnected = true;
    if (changed) this.log(`${state}${message ? `: ${message}` : ''}`);
    this.write();
  }

  /**
   * Copies the client's output (the pipe of its jail) to the lifecycle log, a line at a time, each
   * marked with the client's name, without management echoes or secrets (scrubClientLine). The
   * client never holds a descriptor of the log.
   */
  relayOutput(): void {
    const pipe = this.spec.output;
    if (!pipe) return;
    let fd: number;
    try {
      fd = fs.openSync(pipe, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
      if (!fs.fstatSync(fd).isFIFO()) {
        fs.closeSync(fd);
        throw new Error('not a pipe');
      }
    } catch (err) {
      this.log(`cannot read the output of ${this.spec.client.what}: ${(err as Error).message}`);
      return;
    }
    const what = this.spec.client.what;
    const stream = new net.Socket({ fd, readable: true, writable: false });
    this.outputEnded = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    let buf = '';
    let optCandidate: string | null = null;
    const emit = (line: string): void => {
      const l = scrubClientLine(line.replace(/\r$/, ''), this.secrets);
      if (l !== null && l.trim()) logEvent(this.spec.logFile, `${what}: ${l}`);
      // A fatal one is followed by "Use --help for more information." (a pushed option OpenVPN
      // only warns about is not): only that one is why the client stopped.
      if (l === null) return;
      const opt = optionsErrorOf(l);
      if (opt) optCandidate = opt;
      else if (/Use --help for more information/.test(l) && optCandidate && !this.optionsError) this.optionsError = optCandidate;
      else if (l.trim()) optCandidate = null;
    };
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        emit(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (buf.length > 65536) {
        emit(buf);
        buf = '';
      }
    });
    stream.on('end', () => {
      if (buf) emit(buf);
      buf = '';
    });
    stream.on('error', () => undefined);
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
      // The client stops on an error in its options before it opens its socket: its last words
      // are still on the way through the pipe (bounded: the pipe ends when the client is gone).
      await this.outputDrained();
      this.set('failed', this.optionsError ? optionsFailure(this.optionsError) : `${NOT_REACHED}; see \`sandtray log\``);
      return;
    }
    const send = (cmd: string): void => {
      sock.write(`${cmd}\n`);
    };
    let pushed: string[] = [];
    let pushPending = false;
    let failed: string | null = null;
    const refused = new Set<string>();
    let codeUsed = false;
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
            let answer = pass;
            if (isAuth && ev.challenge) {
              // A one-time code is good once: a later re-authentication (a reconnect without an
              // auth token from the server) cannot reuse it.
              const code = o.secrets[ONE_TIME_CODE];
              if (!code || codeUsed) {
                failed = codeUsed
                  ? `the server asked for the one-time code again (a reconnect), and the code given at start was already used; restart the sandbox (\`sandtray restart ${this.spec.name}\`) and enter a new code`
                  : `the server asks for a one-time code ("${this.clean(ev.challenge.text)}") and none was given; restart the sandbox (\`sandtray restart ${this.spec.name}\`) and enter the code`;
                this.set('failed', failed);
                send('signal SIGTERM');
                break;
              }
              codeUsed = true;
              answer = staticChallengeResponse(pass, code, ev.challenge.concat);
            }
            if (isAuth) send(`username ${mgmtQuote(ev.what)} ${mgmtQuote(user!)}`);
            send(`password ${mgmtQuote(ev.what)} ${mgmtQuote(answer)}`);
            break;
          }
          case 'password-failed': {
            refused.add(ev.what);
            const unsupported = unsupportedAuth(ev.reason);
            if (unsupported) {
              failed = unsupported;
              this.set('failed', `${unsupported}; this VPN cannot be used with Sandtray for now`);
              break;
            }
            if (ev.what !== 'Auth') failed = 'the private key passphrase is wrong';
            else failed = `authentication failed: the server refused the ${codeUsed ? 'user name, password or one-time code' : 'user name or password'}`;
            const fix = ev.what !== 'Auth'
              ? `fix it with \`sandtray secret set ${this.spec.name} key-passphrase\`, then restart the sandbox`
              : codeUsed
                ? `check the user name and password (\`sandtray secret set ${this.spec.name} password\`), then restart the sandbox and enter a new code`
                : `fix it with \`sandtray secret set ${this.spec.name} password\`, then restart the sandbox`;
            const said = ev.reason ? ` (the server said: ${this.clean(ev.reason)})` : '';
            this.set('failed', `${failed}${said}; ${fix}`);
            break;
          }
          case 'info': {
            const unsupported = unsupportedAuth(ev.message);
            if (unsupported && !failed) {
              failed = unsupported;
              this.set('failed', `${unsupported}; this VPN cannot be used with Sandtray for now`);
              send('signal SIGTERM');
            }
            break;
          }
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
              : this.clean(ev.message);
            this.set('failed', failed);
            break;
          case 'state':
            if (ev.name === 'CONNECTED') {
              const remote = ev.remote === PASTA_LINK.gateway ? '127.0.0.1' : ev.remote;
              const endpoint = remote ? `${remote.includes(':') ? `[${remote}]` : remote}:${ev.remotePort}` : null;
              const settings = openvpnTunnel(pushed, o.directives, this.spec.dev);
              queue = queue.then(() => this.bringUp(settings, endpoint));
            } else if (ev.name === 'RECONNECTING') {
              if (!failed) this.set(this.everConnected ? 'reconnecting' : 'connecting', retryMessage(this.clean(ev.detail), this.everConnected));
            } else if (ev.name === 'EXITING') {
              if (!failed) this.set('failed', this.optionsError ? optionsFailure(this.optionsError) : `the OpenVPN client stopped (${this.clean(ev.detail) || 'exit'})`);
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
    if (!this.stopping && this.status.state !== 'failed') {
      await this.outputDrained();
      this.set('failed', this.optionsError ? optionsFailure(this.optionsError) : 'the OpenVPN client exited; see `sandtray log`');
    }
    await this.clientGone();
  }

  /** Waits (at most 3 s) for the rest of the client's output once it has exited. */
  private async outputDrained(): Promise<void> {
    await Promise.race([this.outputEnded, sleep(3000)]);
  }

  /**
   * Once the client has exited, its tunnel device is gone from the sandbox (the device lives as
   * long as the client holds it): the status no longer lists its addresses and routes.
   */
  async clientGone(): Promise<void> {
    for (let i = 0; i < 50 && isAlive(this.spec.client); i++) await sleep(100);
    if (isAlive(this.spec.client) || this.stopping) return;
    this.status = { ...this.status, addresses: [], routes: [] };
    this.write();
  }

  private async bringUp(s: TunnelSettings, endpoint: string | null): Promise<void> {
    try {
      if (hasDevice(this.spec.uplink.pid, s.dev)) await moveDevice(this.spec.uplink.pid, this.spec.init.pid, s.dev);
      await configureDevice(this.spec.init.pid, s);
      // In place (it is bound into the sandbox), never through a link, and only in a folder of ours
      // that no one else can write.
      if (checkStateDir(path.dirname(this.spec.resolvFile)) === null) throw new Error(`${path.dirname(this.spec.resolvFile)} does not exist`);
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
    let stale: WgStale | null = null;
    let readError: string | null = null;
    for (;;) {
      if (!isAlive(this.spec.client)) {
        this.set('failed', `${this.spec.client.what} exited; the sandbox has no route out until it is restarted`);
        await this.clientGone();
        return;
      }
      try {
        const latest = Math.max(0, ...(await wgHandshakes(w.wgPid, w.wgNamespaces)));
        const sent = await wgSentBytes(w.wgPid, w.wgNamespaces);
        const next = wireguardState(Date.now() / 1000, latest, sent, stale, this.everConnected);
        stale = next.stale;
        this.set(next.state, next.message);
        readError = null;
      } catch (err) {
        const msg = (err as Error).message;
        // Said once, not on every poll.
        if (isAlive(this.spec.client) && msg !== readError) this.log(`reading the WireGuard state failed: ${msg}`);
        readError = msg;
      }
      await sleep(this.status.state === 'connected' ? 5000 : 1000);
    }
  }
}

/** OpenVPN's `Options error: ...` in a line of its output (after its timestamp, if any), or null. */
export function optionsErrorOf(line: string): string | null {
  const at = line.indexOf('Options error:');
  return at < 0 ? null : line.slice(at).trim();
}

/** The state message for a client that stopped on an error in its options, in OpenVPN's words. */
export function optionsFailure(optionsError: string): string {
  return `${OPTIONS_REFUSED}${optionsError}`;
}

/** Why OpenVPN starts over (its RECONNECTING reason), in words; on a first connect nothing was lost. */
export function retryMessage(detail: string, everConnected: boolean): string {
  const why: Record<string, string> = {
    'connection-failed': 'could not connect to the server',
    server_poll: 'no answer from the server',
    'server-poll': 'no answer from the server',
    'connection-reset': 'the server closed the connection',
    'ping-restart': 'the server stopped answering',
    'tls-error': 'the TLS handshake with the server failed',
    'auth-failure': 'the server refused the credentials',
    'init_instance': 'the client could not start the connection',
  };
  const reason = why[detail] ?? (detail ? `OpenVPN: ${detail}` : '');
  if (!everConnected) return reason ? `${reason}; trying again` : 'trying again';
  return reason ? `lost the connection: ${reason}; trying again` : 'lost the connection; trying again';
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
  // The engine holds the client's pipe open until the status file exists: open it first.
  agent.relayOutput();
  agent.write();
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  void agent.watchSandbox();
  if (spec.type === 'openvpn') await agent.runOpenvpn();
  else await agent.runWireguard();
  // A failed tunnel stays failed: keep watching the sandbox so its helpers go with it.
  await new Promise(() => undefined);
}
