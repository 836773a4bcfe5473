// VPN and nat measurements for `npm run bench` (not a timed test): time from `start` to the first
// byte through the tunnel; the throughput of one bulk HTTP transfer through an OpenVPN tunnel, a
// WireGuard tunnel and nat, beside the same transfer on the host's loopback and through the same
// OpenVPN client in a plain namespace, in the same run; what a VPN sandbox keeps resident.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startKeyring } from '../lib/keyring.js';
import { sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';
import { labLog, serverNs, startOvpnServer, startWgPeer, stopAllLab, until } from '../lib/vpn-lab.js';
import { residentParts, showResident, stat } from './measure.js';
import { handle } from '../lib/vpn-responder-lib.js';
import { waitVpn } from '../lib/vpn-wait.js';

const MIB = Number(process.env['BENCH_MIB'] ?? 64);
const ROUNDS = Number(process.env['BENCH_VPN_ROUNDS'] ?? 3);

/** Node code that polls URL until it gets a first byte, then prints the wall clock (ms). */
const FIRST_BYTE_JS = (url: string) => `
const http=require('http');const end=Date.now()+60000;
(function go(){const r=http.get('${url}',res=>{res.once('data',()=>{console.log(Date.now());process.exit(0)})});
r.setTimeout(300,()=>r.destroy());r.on('error',()=>{if(Date.now()<end)setTimeout(go,10);else process.exit(1)})})();`;

/** Node code that downloads URL and prints "bytes ms". */
const BULK_JS = (url: string) => `
const http=require('http');const t=process.hrtime.bigint();let n=0;
http.get('${url}',res=>{res.on('data',d=>n+=d.length);res.on('end',()=>console.log(n+' '+Number(process.hrtime.bigint()-t)/1e6))}).on('error',e=>{console.error(e.message);process.exit(1)});`;

function mbit(line: string): { mbits: number; ms: number; bytes: number } {
  const [bytes, ms] = line.trim().split(' ').map(Number) as [number, number];
  return { bytes, ms, mbits: (bytes * 8) / (ms / 1000) / 1e6 };
}

async function inside(e: Env, name: string, js: string): Promise<string> {
  return (await e.ok(['exec', name, '--', 'node', '-e', js])).trim();
}

async function timeToFirstByte(e: Env, name: string, url: string): Promise<{ total: number; start: number }> {
  const t0 = Date.now();
  await e.ok(['start', name]);
  const started = Date.now();
  const first = Number(await inside(e, name, FIRST_BYTE_JS(url)));
  return { total: first - t0, start: started - t0 };
}

/**
 * The VPN servers, the VPN clients and the test's helpers live in /usr/sbin on Debian, which an
 * ordinary user's PATH lacks; the engine looks there itself (host/tools.ts), the lab by PATH.
 */
function withSbin(): void {
  const dirs = (process.env['PATH'] ?? '/usr/bin:/bin').split(':');
  for (const d of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!dirs.includes(d)) dirs.push(d);
  process.env['PATH'] = dirs.join(':');
}

/** What a sandbox of this environment keeps resident outside its payload (measure.ts). */
function residentKiB(e: Env, name: string): ReturnType<typeof residentParts> {
  return residentParts(JSON.parse(fs.readFileSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', name, 'state.json'), 'utf8')));
}

/** Runs the VPN section of the benchmark and prints it with say; returns the figures. */
export async function vpnBench(say: (line?: string) => void = (l = '') => console.log(l)): Promise<Record<string, unknown>> {
  withSbin();
  const out: Record<string, unknown> = {};
  const keyring = await startKeyring();
  const e = sandtrayEnv('bench-vpn');
  e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
  const host = http.createServer((req, res) => handle('host', req, res));
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
  const port = (host.address() as { port: number }).port;
  try {
    const [ovpn, wg] = await Promise.all([
      startOvpnServer('bench-ovpn', '198.18.90.2', { proto: 'udp', subnet: '198.19.8', redirectGateway: true, token: 'bench', dnsName: 'x.vpn.test' }),
      startWgPeer('bench-wg', '198.18.91.2', { subnet: '198.19.9', token: 'bench', dnsName: 'x.vpn.test' }),
    ]);
    fs.writeFileSync(path.join(e.dir, 'bo.ovpn'), ovpn.clientConfig());
    fs.writeFileSync(path.join(e.dir, 'bw.conf'), wg.clientConfig, { mode: 0o600 });
    await e.ok(['vpn', 'import', path.join(e.dir, 'bo.ovpn')]);
    await e.ok(['vpn', 'import', path.join(e.dir, 'bw.conf')]);
    writeProfile(e, 'natlo', 'apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n  allowHostLoopback: true\n');
    await e.ok(['create', 'bn', '--profile', `${e.dir}/natlo.sandtray`]);

    say('\nVPN and nat (each tunnel crosses two pasta links here: the sandbox uplink and the test server\'s namespace)');
    for (const [name, url, label] of [['bo', 'http://198.19.8.1:8080/', 'OpenVPN (UDP)'], ['bw', 'http://198.19.9.1:8080/', 'WireGuard (wireguard-go)']] as const) {
      const t = await timeToFirstByte(e, name, url);
      out[`${name === 'bo' ? 'openvpn' : 'wireguard'}StartToFirstByteMs`] = t.total;
      say(`${`start to first byte through the tunnel, ${label}`.padEnd(58)} ${String(t.total).padStart(6)} ms  (start returned after ${t.start} ms)`);
    }
    await waitVpn(e, 'bo', 'connected');
    await waitVpn(e, 'bw', 'connected');
    await e.ok(['start', 'bn']);
    const memory = { openvpn: residentKiB(e, 'bo'), wireguard: residentKiB(e, 'bw'), nat: residentKiB(e, 'bn') };
    out['memory'] = memory;
    say('resident outside the payload (PSS; RSS where a process hides its PSS from its user):');
    for (const [k, v] of Object.entries(memory)) say(showResident(`${k} sandbox`, v));

    // The same OpenVPN client with the same configuration in a plain user+net namespace, linked to
    // the host by pasta as a sandbox's uplink is: what the sandbox costs the tunnel.
    const plain = await serverNs('bench-plain', '198.18.92.2', {});
    fs.writeFileSync(path.join(plain.dir, 'client.ovpn'), ovpn.clientConfig().replace(/^remote 127\.0\.0\.1 /m, 'remote 198.18.92.1 '), { mode: 0o600 });
    plain.spawn(['openvpn', '--config', path.join(plain.dir, 'client.ovpn'), '--disable-dco'], 'client.log');
    await until(() => labLog(plain, 'client.log').includes('Initialization Sequence Completed'), 30_000, `OpenVPN client in a plain namespace: ${labLog(plain, 'client.log').slice(-500)}`);
    const plainBulk = async (): Promise<string> => (await plain.exec([process.execPath, '-e', BULK_JS(`http://198.19.8.1:8080/bulk/${MIB}`)])).trim();

    const loop = mbit(String((await execa(process.execPath, ['-e', BULK_JS(`http://127.0.0.1:${port}/bulk/${MIB}`)])).stdout));
    const rows: [string, ReturnType<typeof mbit>][] = [
      ['host loopback (same client, same server code)', loop],
      ['nat (pasta, to the host loopback server)', mbit(await inside(e, 'bn', BULK_JS(`http://198.19.255.1:${port}/bulk/${MIB}`)))],
      ['WireGuard tunnel (wireguard-go)', mbit(await inside(e, 'bw', BULK_JS(`http://198.19.9.1:8080/bulk/${MIB}`)))],
    ];
    // OpenVPN in the sandbox and in the plain namespace, interleaved, the order swapped each round.
    const inSandbox: number[] = [];
    const inPlain: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const pair = [async () => void inSandbox.push(mbit(await inside(e, 'bo', BULK_JS(`http://198.19.8.1:8080/bulk/${MIB}`))).mbits), async () => void inPlain.push(mbit(await plainBulk()).mbits)];
      for (const step of r % 2 ? pair.reverse() : pair) await step();
    }
    const ovpnStats = { sandboxMbits: stat(inSandbox), plainMbits: stat(inPlain), sandboxVsPlain: stat(inSandbox.map((x, i) => x / inPlain[i]!)) };
    out['throughputMbits'] = { ...Object.fromEntries(rows.map(([label, r]) => [label, Math.round(r.mbits)])), openvpn: ovpnStats };
    say(`throughput of one ${MIB} MiB HTTP download:`);
    for (const [label, r] of rows) {
      say(`  ${label.padEnd(56)} ${r.mbits.toFixed(0).padStart(6)} Mbit/s  (${(r.mbits / loop.mbits * 100).toFixed(1)}% of loopback, ${r.ms.toFixed(0)} ms)`);
    }
    say(`  ${'OpenVPN UDP tunnel, in the sandbox'.padEnd(56)} ${ovpnStats.sandboxMbits.median.toFixed(0).padStart(6)} Mbit/s  (median of ${ROUNDS}, ${(ovpnStats.sandboxMbits.median / loop.mbits * 100).toFixed(1)}% of loopback)`);
    say(`  ${'the same client in a plain namespace'.padEnd(56)} ${ovpnStats.plainMbits.median.toFixed(0).padStart(6)} Mbit/s  (median of ${ROUNDS})`);
    say(`    paired, in the sandbox / plain: ${ovpnStats.sandboxVsPlain.median.toFixed(2)}x (${ovpnStats.sandboxVsPlain.min.toFixed(2)}..${ovpnStats.sandboxVsPlain.max.toFixed(2)})`);
    // Again after the downloads: the clients (wireguard-go's Go heap above all) keep some of what
    // they took under load, and the goal is for a VPN sandbox in use, not only an idle one.
    const afterLoad = { openvpn: residentKiB(e, 'bo'), wireguard: residentKiB(e, 'bw') };
    out['memoryAfterLoad'] = afterLoad;
    say(`resident after ${MIB} MiB through each tunnel:`);
    for (const [k, v] of Object.entries(afterLoad)) say(showResident(`${k} sandbox`, v));
    await plain.stop();
    await ovpn.stop();
    await wg.stop();
  } finally {
    host.close();
    await e.cleanup();
    await stopAllLab();
    await keyring.stop();
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.getuid?.() === 0) {
    console.error('Run the benchmark as an ordinary user: Sandtray is for unprivileged users.');
    process.exit(1);
  }
  vpnBench().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
