// Real VPN servers for the tests, each in namespaces the test makes itself (unshare as the test
// user), reachable only through pasta port forwards on the host's loopback. Addresses on links
// come from 198.18.0.0/15; private ranges exist only inside the tunnels.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESPONDER = path.join(HERE, 'vpn-responder.js');

/** Polls until check() holds; throws the message after timeoutMs. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await sleep(50);
  }
}

/** A port free for both TCP and UDP on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port');
}

export interface ServerNs {
  pid: number;
  dir: string;
  /** Runs argv as root of the namespace (its net and mount namespaces). */
  exec(argv: string[], input?: string): Promise<string>;
  /** Starts a long-running process in the namespace, output to a log file in dir. */
  spawn(argv: string[], log: string, env?: Record<string, string>): ResultPromise;
  stop(): Promise<void>;
}

/**
 * How long a lab process may take to come up. Only a bound for a positive condition (it is met
 * as soon as the process is ready), so it is generous: on a loaded machine starting a namespace,
 * pasta, openvpn or wireguard-go can take many seconds.
 */
const START_MS = 60_000;

const procs: ResultPromise[] = [];
const dirs: string[] = [];

function track(p: ResultPromise): ResultPromise {
  procs.push(p);
  p.catch(() => undefined);
  return p;
}

/** A user+net+mount namespace with lo up and a private /var/run/wireguard, linked by pasta. */
export async function serverNs(label: string, link: string, forward: { tcp?: number[]; udp?: number[] }): Promise<ServerNs> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sandtray-vpnlab-${label}-`));
  dirs.push(dir);
  const holder = track(execa('unshare', ['--user', '--map-root-user', '--net', '--mount', '--', 'sh', '-c', 'ip link set lo up; mount -t tmpfs lab /var; mkdir -p /var/run/wireguard; echo ready; exec sleep 3600'], { reject: false, buffer: false, stdin: 'ignore', stderr: 'inherit' }));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server namespace did not start within ${START_MS / 1000} s`)), START_MS);
    holder.stdout!.on('data', () => {
      clearTimeout(t);
      resolve();
    });
  });
  const pid = holder.pid!;
  const spec = (ports: number[] | undefined) => (ports?.length ? ports.map((p) => `127.0.0.1/${p}`).join(',') : 'none');
  const gw = link.replace(/\.\d+$/, '.1');
  const pasta = track(execa('pasta', ['--config-net', '-a', link, '-n', '24', '-g', gw, '-t', spec(forward.tcp), '-u', spec(forward.udp), '-T', 'none', '-U', 'none', '--foreground', '--quiet', '--netns', `/proc/${pid}/ns/net`, '--userns', `/proc/${pid}/ns/user`], { reject: false, stdio: 'ignore' }));
  await until(() => {
    try {
      return fs.readFileSync(`/proc/${pid}/net/route`, 'utf8').includes('\t00000000\t');
    } catch {
      return false;
    }
  }, START_MS, 'pasta for the server namespace');
  const nsenter = ['nsenter', `--target=${pid}`, '--user', '--net', '--mount', '--preserve-credentials', '--'];
  const own: ResultPromise[] = [holder, pasta];
  return {
    pid,
    dir,
    async exec(argv, input) {
      const r = await execa(nsenter[0]!, [...nsenter.slice(1), ...argv], { reject: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }), timeout: 20_000 });
      if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} in ${label}: ${r.stderr || r.stdout}`);
      return String(r.stdout);
    },
    spawn(argv, log, env = {}) {
      const fd = fs.openSync(path.join(dir, log), 'a');
      const p = track(execa(nsenter[0]!, [...nsenter.slice(1), ...argv], { reject: false, buffer: false, stdin: 'ignore', stdout: fd as unknown as 'pipe', stderr: fd as unknown as 'pipe', env: { ...process.env, ...env } }));
      fs.closeSync(fd);
      own.push(p);
      return p;
    },
    async stop() {
      for (const p of own.reverse()) {
        p.kill('SIGTERM');
        await Promise.race([p, sleep(3000)]);
        p.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads a log file of a server namespace. */
export function labLog(ns: ServerNs, log: string): string {
  try {
    return fs.readFileSync(path.join(ns.dir, log), 'utf8');
  } catch {
    return '';
  }
}

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  ta: string;
}

/** A throw-away CA with a server and a client certificate (EC keys: fast), made with openssl. */
export async function makePki(dir: string, clientKeyPassphrase?: string): Promise<Pki> {
  const o = async (args: string[], input?: string) => {
    await execa('openssl', args, { cwd: dir, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
  };
  await o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sandtray-test-ca']);
  for (const [n, eku] of [['server', 'serverAuth'], ['client', 'clientAuth']] as const) {
    await o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=${n}`]);
    fs.writeFileSync(path.join(dir, `${n}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=${eku}\n`);
    await o(['x509', '-req', '-in', `${n}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${n}.crt`, '-days', '2', '-extfile', `${n}.ext`]);
  }
  if (clientKeyPassphrase) {
    // The passphrase goes to openssl on stdin, as the product hands secrets to its tools.
    await o(['pkey', '-in', 'client.key', '-out', 'client.enc.key', '-aes256', '-passout', 'stdin'], `${clientKeyPassphrase}\n`);
    fs.renameSync(path.join(dir, 'client.enc.key'), path.join(dir, 'client.key'));
  }
  await execa('openvpn', ['--genkey', 'secret', path.join(dir, 'ta.key')]);
  const r = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return { ca: r('ca.crt'), serverCert: r('server.crt'), serverKey: r('server.key'), clientCert: r('client.crt'), clientKey: r('client.key'), ta: r('ta.key') };
}

export interface OvpnServerOptions {
  proto: 'tcp' | 'udp';
  /** Tunnel subnet, e.g. 198.19.8 (server is .1). */
  subnet: string;
  /** Push a default route (redirect-gateway) or only the subnet. */
  redirectGateway: boolean;
  /** Require this user name and password (checked against a hash; the server keeps no plain copy). */
  user?: { name: string; password: string };
  /**
   * Instead of user's check: a shell script run as auth-user-pass-verify via-file ($1: user name
   * and password field, one a line; exit 0 to accept). Clients are asked for a user name and password.
   */
  verify?: string;
  /** A unique answer of the responder behind the tunnel. */
  token: string;
  /** A DNS name only this server's DNS knows, answering its own tunnel address. */
  dnsName: string;
  /** More options the server pushes, e.g. "route-ipv6 2001:2::/48". */
  push?: string[];
}

export interface OvpnServer {
  ns: ServerNs;
  port: number;
  pki: Pki;
  /** A client .ovpn for this server (remote 127.0.0.1 PORT), inline blocks. */
  clientConfig(extra?: string[]): string;
  /** Stops the OpenVPN server process only (its namespace and responder stay). */
  stopDaemon(): Promise<void>;
  /** Starts the OpenVPN server process again after stopDaemon. */
  startDaemon(): Promise<void>;
  stop(): Promise<void>;
}

/** An OpenVPN server with a responder and a DNS server behind its tunnel. */
export async function startOvpnServer(label: string, link: string, o: OvpnServerOptions, clientKeyPassphrase?: string): Promise<OvpnServer> {
  const port = await freePort();
  const ns = await serverNs(label, link, o.proto === 'tcp' ? { tcp: [port] } : { udp: [port] });
  const pki = await makePki(ns.dir, clientKeyPassphrase);
  const conf = [
    'dev tun', `proto ${o.proto === 'tcp' ? 'tcp-server' : 'udp'}`, `port ${port}`, 'topology subnet',
    `server ${o.subnet}.0 255.255.255.0`,
    `ca ${ns.dir}/ca.crt`, `cert ${ns.dir}/server.crt`, `key ${ns.dir}/server.key`, 'dh none', `tls-auth ${ns.dir}/ta.key 0`,
    `push "dhcp-option DNS ${o.subnet}.1"`, 'push "dhcp-option DOMAIN vpn.test"',
    o.redirectGateway ? 'push "redirect-gateway def1"' : `push "route ${o.subnet}.0 255.255.255.0"`,
    ...(o.push ?? []).map((x) => `push "${x}"`),
    'keepalive 2 10', 'verb 3', 'disable-dco', 'duplicate-cn', `tmp-dir ${ns.dir}`,
  ];
  if (o.user) {
    const hash = crypto.createHash('sha256').update(o.user.password).digest('hex');
    const check = path.join(ns.dir, 'check-user.sh');
    fs.writeFileSync(check, `#!/bin/sh\nu=$(sed -n 1p "$1"); p=$(sed -n 2p "$1")\n[ "$u" = "${o.user.name}" ] && [ "$(printf %s "$p" | sha256sum | cut -d' ' -f1)" = "${hash}" ]\n`, { mode: 0o700 });
    conf.push('script-security 2', `auth-user-pass-verify ${check} via-file`);
  } else if (o.verify) {
    const check = path.join(ns.dir, 'verify.sh');
    fs.writeFileSync(check, o.verify, { mode: 0o700 });
    conf.push('script-security 2', `auth-user-pass-verify ${check} via-file`);
  }
  fs.writeFileSync(path.join(ns.dir, 'server.conf'), conf.join('\n') + '\n', { mode: 0o600 });
  for (const f of ['server.key', 'ca.key', 'client.key', 'ta.key']) fs.chmodSync(path.join(ns.dir, f), 0o600);
  let daemon = ns.spawn(['openvpn', '--config', path.join(ns.dir, 'server.conf')], 'openvpn.log');
  await until(() => labLog(ns, 'openvpn.log').includes('Initialization Sequence Completed'), START_MS, `OpenVPN server ${label}: ${labLog(ns, 'openvpn.log').slice(-500)}`);
  ns.spawn([process.execPath, RESPONDER, o.token, `${o.dnsName}=${o.subnet}.1`], 'responder.log');
  await until(() => labLog(ns, 'responder.log').includes('responder ready'), START_MS, `responder of ${label}`);
  return {
    ns,
    port,
    pki,
    clientConfig(extra = []) {
      return [
        'client', 'dev tun', `proto ${o.proto}`, `remote 127.0.0.1 ${port}`, 'nobind', 'remote-cert-tls server', 'key-direction 1', 'verb 3',
        ...(o.user || o.verify ? ['auth-user-pass'] : []),
        ...extra,
        '<ca>', pki.ca.trim(), '</ca>', '<cert>', pki.clientCert.trim(), '</cert>', '<key>', pki.clientKey.trim(), '</key>', '<tls-auth>', pki.ta.trim(), '</tls-auth>', '',
      ].join('\n');
    },
    async stopDaemon() {
      daemon.kill('SIGTERM');
      await Promise.race([daemon, sleep(5000)]);
    },
    async startDaemon() {
      const from = labLog(ns, 'openvpn.log').length;
      daemon = ns.spawn(['openvpn', '--config', path.join(ns.dir, 'server.conf')], 'openvpn.log');
      await until(() => labLog(ns, 'openvpn.log').slice(from).includes('Initialization Sequence Completed'), START_MS, `OpenVPN server ${label} restart`);
    },
    stop: () => ns.stop(),
  };
}

export interface WgPeer {
  ns: ServerNs;
  port: number;
  /** A wg-quick file for the client, with its private key. */
  clientConfig: string;
  stop(): Promise<void>;
}

async function wgKey(): Promise<{ priv: string; pub: string }> {
  const priv = String((await execa('wg', ['genkey'])).stdout).trim();
  const pub = String((await execa('wg', ['pubkey'], { input: priv })).stdout).trim();
  return { priv, pub };
}

/** A WireGuard peer with wireguard-go, a responder and a DNS server behind its tunnel. */
export async function startWgPeer(label: string, link: string, o: { subnet: string; token: string; dnsName: string }): Promise<WgPeer> {
  const port = await freePort();
  const ns = await serverNs(label, link, { udp: [port] });
  const server = await wgKey();
  const client = await wgKey();
  ns.spawn(['wireguard-go', '--foreground', 'wg0'], 'wireguard-go.log', { LOG_LEVEL: 'error' });
  await until(() => fs.existsSync(`/proc/${ns.pid}/root/var/run/wireguard/wg0.sock`), START_MS, `wireguard-go of ${label}`);
  await ns.exec(['sh', '-c', 'cat | wg setconf wg0 /dev/stdin'], `[Interface]\nPrivateKey = ${server.priv}\nListenPort = ${port}\n[Peer]\nPublicKey = ${client.pub}\nAllowedIPs = ${o.subnet}.2/32\n`);
  await ns.exec(['ip', 'address', 'add', `${o.subnet}.1/24`, 'dev', 'wg0']);
  await ns.exec(['ip', 'link', 'set', 'wg0', 'up']);
  ns.spawn([process.execPath, RESPONDER, o.token, `${o.dnsName}=${o.subnet}.1`], 'responder.log');
  await until(() => labLog(ns, 'responder.log').includes('responder ready'), START_MS, `responder of ${label}`);
  const clientConfig = [
    '[Interface]', `PrivateKey = ${client.priv}`, `Address = ${o.subnet}.2/24`, `DNS = ${o.subnet}.1, vpn.test`,
    '', '[Peer]', `PublicKey = ${server.pub}`, `Endpoint = 127.0.0.1:${port}`, 'AllowedIPs = 0.0.0.0/0', 'PersistentKeepalive = 5', '',
  ].join('\n');
  return { ns, port, clientConfig, stop: () => ns.stop() };
}

/** Ends every lab process still running and removes the lab's folders (also after a failed test). */
export async function stopAllLab(): Promise<void> {
  for (const p of procs.reverse()) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => Promise.race([p, sleep(3000)])));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

export interface PlainWgClient {
  ns: ServerNs;
  /** Fetches http://HOST:8080/ through the tunnel; the body, or `ERR code`. */
  http(host: string, timeoutMs?: number): Promise<string>;
  /** wireguard-go's process is still running. */
  alive(): boolean;
  /** Moves wireguard-go to another UDP source port (a new flow through pasta). */
  rebind(): Promise<void>;
  /**
   * pasta relays the tunnel's UDP flow through a host socket bound to wireguard-go's own source
   * port: true while that socket is open (read from the host's /proc/net/udp).
   */
  hostFlow(): boolean;
}

/** True when a UDP socket of the host (this process's network namespace) is bound to port. */
export function hostUdpPortOpen(port: number): boolean {
  return ['/proc/net/udp', '/proc/net/udp6'].some((file) => {
    try {
      return fs.readFileSync(file, 'utf8').split('\n').slice(1).filter(Boolean).some((l) => parseInt(l.trim().split(/\s+/)[1]!.split(':')[1]!, 16) === port);
    } catch {
      return false;
    }
  });
}

/**
 * A WireGuard client outside Sandtray: wireguard-go with the peer's client file as it stands (no
 * keepalive added), in a namespace of its own behind plain pasta, whose gateway address is the
 * host's loopback. A control for what Sandtray's own settings change.
 */
export async function startPlainWgClient(label: string, link: string, peer: WgPeer): Promise<PlainWgClient> {
  const field = (k: string) => {
    const m = new RegExp(`^${k} = (.+)$`, 'm').exec(peer.clientConfig);
    if (!m) throw new Error(`${k} missing from the peer's client file`);
    return m[1]!.trim();
  };
  const address = field('Address');
  const keepalive = /^PersistentKeepalive = (\d+)$/m.exec(peer.clientConfig);
  const ns = await serverNs(label, link, {});
  const gw = link.replace(/\.\d+$/, '.1');
  const wg = ns.spawn(['wireguard-go', '--foreground', 'wg0'], 'wireguard-go.log', { LOG_LEVEL: 'error' });
  let running = true;
  void wg.then(() => { running = false; });
  await until(() => fs.existsSync(`/proc/${ns.pid}/root/var/run/wireguard/wg0.sock`), START_MS, `wireguard-go of ${label}`);
  let sourcePort = await freePort();
  const conf = [
    '[Interface]', `PrivateKey = ${field('PrivateKey')}`, `ListenPort = ${sourcePort}`, '[Peer]', `PublicKey = ${field('PublicKey')}`,
    `Endpoint = ${gw}:${peer.port}`, `AllowedIPs = ${address.replace(/\.\d+\/\d+$/, '.0/24')}`,
    ...(keepalive ? [`PersistentKeepalive = ${keepalive[1]}`] : []), '',
  ].join('\n');
  await ns.exec(['sh', '-c', 'cat | wg setconf wg0 /dev/stdin'], conf);
  await ns.exec(['ip', 'address', 'add', address, 'dev', 'wg0']);
  await ns.exec(['ip', 'link', 'set', 'wg0', 'up']);
  return {
    ns,
    async http(host, timeoutMs = 5000) {
      const js = `fetch('http://${host}:8080/',{signal:AbortSignal.timeout(${timeoutMs})}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>{process.stdout.write('ERR '+(e.cause?.code||e.name||e.message));})`;
      return (await ns.exec([process.execPath, '-e', js])).trim();
    },
    alive: () => running,
    async rebind() {
      sourcePort = await freePort();
      await ns.exec(['wg', 'set', 'wg0', 'listen-port', String(sourcePort)]);
    },
    hostFlow: () => hostUdpPortOpen(sourcePort),
  };
}
