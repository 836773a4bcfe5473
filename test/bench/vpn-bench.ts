// VPN and nat measurements for `npm run bench` (not a timed test): time from `start` to the first
// byte through the tunnel, and the throughput of one bulk HTTP transfer through an OpenVPN tunnel,
// a WireGuard tunnel and nat, against the same transfer on the host's loopback in the same run.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startKeyring } from '../lib/keyring.js';
import { sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';
import { startOvpnServer, startWgPeer, stopAllLab } from '../lib/vpn-lab.js';
import { handle } from '../lib/vpn-responder-lib.js';
import { waitVpn } from '../lib/vpn-wait.js';

const MIB = Number(process.env['BENCH_MIB'] ?? 64);

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

/** Runs the VPN section of the benchmark and prints it; returns the figures. */
export async function vpnBench(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
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

    console.log('\nVPN and nat (each tunnel crosses two pasta links here: the sandbox uplink and the test server\'s namespace)');
    for (const [name, url, label] of [['bo', 'http://198.19.8.1:8080/', 'OpenVPN (UDP)'], ['bw', 'http://198.19.9.1:8080/', 'WireGuard (wireguard-go)']] as const) {
      const t = await timeToFirstByte(e, name, url);
      out[`${name}.firstByteMs`] = t.total;
      console.log(`${`start to first byte through the tunnel, ${label}`.padEnd(58)} ${String(t.total).padStart(6)} ms  (start returned after ${t.start} ms)`);
    }
    await waitVpn(e, 'bo', 'connected');
    await waitVpn(e, 'bw', 'connected');
    await e.ok(['start', 'bn']);

    const loop = mbit(String((await execa(process.execPath, ['-e', BULK_JS(`http://127.0.0.1:${port}/bulk/${MIB}`)])).stdout));
    const rows: [string, ReturnType<typeof mbit>][] = [
      ['host loopback (same client, same server code)', loop],
      ['nat (pasta, to the host loopback server)', mbit(await inside(e, 'bn', BULK_JS(`http://198.19.255.1:${port}/bulk/${MIB}`)))],
      ['OpenVPN UDP tunnel', mbit(await inside(e, 'bo', BULK_JS(`http://198.19.8.1:8080/bulk/${MIB}`)))],
      ['WireGuard tunnel (wireguard-go)', mbit(await inside(e, 'bw', BULK_JS(`http://198.19.9.1:8080/bulk/${MIB}`)))],
    ];
    console.log(`throughput of one ${MIB} MiB HTTP download:`);
    for (const [label, r] of rows) {
      out[label] = r.mbits;
      console.log(`  ${label.padEnd(56)} ${r.mbits.toFixed(0).padStart(6)} Mbit/s  (${(r.mbits / loop.mbits * 100).toFixed(1)}% of loopback, ${r.ms.toFixed(0)} ms)`);
    }
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
