// Network mode nat: pasta links the sandbox to the host; DNS is forwarded to the host's resolver; the
// host's loopback services stay out of reach unless the profile asks for them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';

/** Connects from inside; "connected: DATA" or the error code. */
async function connectInside(e: Env, name: string, host: string, port: number): Promise<string> {
  const js = `const s=require('net').connect({host:'${host}',port:${port},timeout:1500});let d='';s.on('data',x=>d+=x);s.on('end',()=>{console.log('connected: '+d.trim())});s.on('error',e=>console.log(e.code));s.on('timeout',()=>{console.log('timeout');s.destroy()})`;
  return (await e.ok(['exec', name, '--', 'node', '-e', js])).trim();
}

describe('network mode nat', { timeout: 120_000 }, () => {
  let e: Env;
  let server: net.Server;
  let port = 0;

  before(async () => {
    e = sandtrayEnv('net-nat');
    // A service on the host's loopback only.
    server = net.createServer((s) => s.end('host-loopback-service\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
    writeProfile(e, 'nat', 'apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n');
    writeProfile(e, 'natlo', 'apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n  allowHostLoopback: true\n');
  });
  after(async () => {
    await e?.cleanup();
    server?.close();
  });

  it('has a link, a route out and DNS; the host loopback is not reachable', async () => {
    await e.ok(['launch', 'n1', '--profile', `${e.dir}/nat.sandtray`]);
    const addr = await e.ok(['exec', 'n1', '--', 'ip', '-o', '-4', 'addr']);
    assert.match(addr, /198\.19\.255\.2\/24/);
    assert.match(await e.ok(['exec', 'n1', '--', 'ip', 'route']), /^default via 198\.19\.255\.1/m);
    assert.match(await e.ok(['exec', 'n1', '--', 'cat', '/etc/resolv.conf']), /^nameserver 198\.19\.255\.3$/m);
    // DNS sent to 198.19.255.3 is answered by pasta from the host's resolver. Tests send nothing
    // beyond this machine, so check the forwarding is set up rather than resolve a real name.
    const pasta = allPids().map((p) => fsCmd(p).split('\0').join(' ')).find((c) => /(^|\/)pasta /.test(c) && c.includes('--dns-forward 198.19.255.3'));
    assert.ok(pasta, 'pasta forwards the sandbox DNS address to the host resolver');
    // The sandbox's own 127.0.0.1 is its own; pasta forwards no host port into it.
    assert.equal(await connectInside(e, 'n1', '127.0.0.1', port), 'ECONNREFUSED');
    // The gateway address is not mapped to the host's loopback.
    assert.notEqual(await connectInside(e, 'n1', '198.19.255.1', port), 'connected: host-loopback-service');
    assert.match(await e.ok(['info', 'n1']), /Network: +nat/);
  });

  it('reaches the host loopback through the gateway address when the profile allows it', async () => {
    await e.ok(['launch', 'n2', '--profile', `${e.dir}/natlo.sandtray`]);
    assert.equal(await connectInside(e, 'n2', '198.19.255.1', port), 'connected: host-loopback-service');
  });

  it('a sandbox killed from outside leaves no pasta after the next stop', async () => {
    const info = JSON.parse(await e.ok(['info', 'n2', '--json'])) as { pid: number };
    const pastaPids = () => allPids().filter((p) => fsCmd(p).includes(`/proc/${info.pid}/ns/net`));
    assert.equal(pastaPids().length, 1);
    process.kill(info.pid, 'SIGKILL');
    const r = await e.run(['stop', 'n2']);
    assert.match(r.stderr, /is not running/);
    assert.equal(pastaPids().length, 0);
  });

  it('leaves no pasta behind after stop', async () => {
    const info = JSON.parse(await e.ok(['info', 'n1', '--json'])) as { pid: number };
    assert.ok(info.pid);
    const pastaPids = () => allPids().filter((p) => fsCmd(p).includes(`/proc/${info.pid}/ns/net`));
    assert.equal(pastaPids().length, 1);
    await e.ok(['stop', 'n1']);
    assert.equal(pastaPids().length, 0);
  });
});

function allPids(): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}
function fsCmd(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
