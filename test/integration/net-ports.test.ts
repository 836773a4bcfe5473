// network.ports in a nat sandbox: a server inside is reached from the host's loopback at the
// forwarded port, and not at the host's other addresses unless the profile names them (the
// positive control: the same server through a forward on 0.0.0.0 is reached there). The host is a
// test host (test/lib/net-testhost.ts): namespaces the test makes, with the address 198.18.200.2.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestHost, TEST_HOST, type TestHost } from '../lib/net-testhost.js';

const PORTS = { loop: 28080, every: 28081, udp: 28053, udpAddr: 28054, inside: 8080, insideUdp: 5353 } as const;

/** Connects from the test host; "connected: DATA" or the error code. */
async function connectFromHost(h: TestHost, host: string, port: number): Promise<string> {
  // The client speaks first and takes the first line of the answer (pasta of Debian 12 may lose a
  // server's close that comes right after a connection from a non-loopback address; what a server
  // writes, it passes on).
  const js = `const s=require('net').connect({host:'${host}',port:${port},timeout:5000});let d='';s.write('hello\\n');s.on('data',x=>{d+=x;if(d.includes('\\n')){console.log('connected: '+d.trim());s.destroy()}});s.on('error',e=>console.log(e.code));s.on('timeout',()=>{console.log('timeout');s.destroy()})`;
  return (await h.sh(`node -e "${js}"`)).trim();
}

/** Sends a datagram from the test host and prints the answer, or "no answer" (bounded: 5 tries). */
async function udpFromHost(h: TestHost, host: string, port: number): Promise<string> {
  const js = `const s=require('dgram').createSocket('udp4');let n=0;s.on('message',m=>{console.log('answer: '+m);s.close();clearInterval(t)});const send=()=>{if(++n>5){console.log('no answer');s.close();clearInterval(t);return}s.send('ping',${port},'${host}')};const t=setInterval(send,1000);send()`;
  return (await h.sh(`node -e "${js}"`)).trim();
}

describe('network.ports in a nat sandbox', { timeout: 240_000 }, () => {
  let h: TestHost;

  before(async () => {
    h = await startTestHost({ names: {} });
    const profile = h.file('ports.sandtray', [
      'apiVersion: sandtray/v1',
      'network:',
      '  mode: nat',
      '  ports:',
      `    - {host: ${PORTS.loop}, sandbox: ${PORTS.inside}}`,
      `    - {host: ${PORTS.every}, sandbox: ${PORTS.inside}, address: 0.0.0.0}`,
      `    - {host: ${PORTS.udp}, sandbox: ${PORTS.insideUdp}, proto: udp}`,
      `    - {host: ${PORTS.udpAddr}, sandbox: ${PORTS.insideUdp}, proto: udp, address: ${TEST_HOST.address}}`,
      '',
    ].join('\n'));
    const launched = await h.run(['launch', 'web', '--profile', profile]);
    assert.equal(launched.exitCode, 0, launched.stderr);
    // Listening beyond the loopback is named as a risk; the loopback forwards are not.
    assert.match(launched.stderr, new RegExp(`warning: network\\.ports\\[${PORTS.every}/tcp\\]: port ${PORTS.every}/tcp listens on every address`));
    assert.doesNotMatch(launched.stderr, new RegExp(`network\\.ports\\[${PORTS.loop}/tcp\\]`));
    // The servers inside: TCP and UDP on every address of the sandbox, started in the background.
    const server = `const net=require('net'),dgram=require('dgram');net.createServer(s=>s.once('data',()=>s.write('inside web\\\\n'))).listen(${PORTS.inside},'0.0.0.0');const u=dgram.createSocket('udp4');u.on('message',(m,r)=>{require('fs').appendFileSync('/tmp/udp.log',m+' from '+r.address+'\\n');u.send('pong '+m,r.port,r.address)});u.bind(${PORTS.insideUdp},'0.0.0.0',()=>require('fs').writeFileSync('/tmp/ready','1'))`;
    await h.ok(['exec', 'web', '--', 'sh', '-c', `nohup node -e "${server}" >/tmp/server.log 2>&1 </dev/null &`]);
    await h.ok(['exec', 'web', '--', 'sh', '-c', 'i=0; until [ -e /tmp/ready ]; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 0.1; done']);
  });
  after(async () => {
    await h?.stop();
  });

  it("is reached at the host's loopback, and only there unless the profile asks", async () => {
    assert.equal(await connectFromHost(h, '127.0.0.1', PORTS.loop), 'connected: inside web');
    // The host's own address: nothing listens there for this forward.
    assert.equal(await connectFromHost(h, TEST_HOST.address, PORTS.loop), 'ECONNREFUSED');
    // Positive control: the forward on 0.0.0.0 reaches the same server from that address.
    assert.equal(await connectFromHost(h, TEST_HOST.address, PORTS.every), 'connected: inside web');
    assert.equal(await connectFromHost(h, '127.0.0.1', PORTS.every), 'connected: inside web');
    const listening = await h.sh('ss -Hltn');
    assert.match(listening, new RegExp(`127\\.0\\.0\\.1:${PORTS.loop}\\s`));
    assert.doesNotMatch(listening, new RegExp(`(0\\.0\\.0\\.0|\\*|\\[::\\]):${PORTS.loop}\\s`));
  });

  it('forwards UDP to the port inside', async () => {
    // Through the loopback the datagram arrives inside; Debian 12's pasta (2023-03) loses the
    // answer on that path, so the answer is checked through a forward on the host's address.
    await udpFromHost(h, '127.0.0.1', PORTS.udp);
    assert.match(await h.ok(['exec', 'web', '--', 'cat', '/tmp/udp.log']), /^ping from 127\.0\.0\.1$/m);
    assert.equal(await udpFromHost(h, TEST_HOST.address, PORTS.udpAddr), 'answer: pong ping');
    assert.equal(await udpFromHost(h, TEST_HOST.address, PORTS.udp), 'no answer', 'the loopback forward does not listen on other addresses');
  });

  it('info and plan show the forwards', async () => {
    assert.match(await h.ok(['info', 'web']), new RegExp(`network\\.ports: 127\\.0\\.0\\.1:${PORTS.loop} -> ${PORTS.inside}/tcp`));
    assert.match(await h.ok(['plan', 'web']), new RegExp(`forwarded by pasta: host 0\\.0\\.0\\.0:${PORTS.every} -> ${PORTS.inside}/tcp inside`));
  });

  it('a host port already taken stops the start with a message, and leaves nothing', async () => {
    const clash = h.file('clash.sandtray', `apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n  ports: [{host: ${PORTS.loop}, sandbox: 80}]\n`);
    const r = await h.run(['launch', 'clash', '--profile', clash]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, new RegExp(`host port ${PORTS.loop}/tcp on 127\\.0\\.0\\.1 is already in use`));
    assert.doesNotMatch(await h.ok(['list', '--format', 'names']), /clash/);
    // The first sandbox's forward still works.
    assert.equal(await connectFromHost(h, '127.0.0.1', PORTS.loop), 'connected: inside web');
  });
});
