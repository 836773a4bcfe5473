// Network mode nat: pasta links the sandbox to the host with fixed addresses (IPv4 and IPv6, never
// the host's own); DNS is forwarded to the host's resolver; the host's loopback services stay out of
// reach unless the profile asks for them.
//
// "The host" here is a test host (test/lib/net-testhost.ts): namespaces the test makes, with a
// link and a resolver of its own. So the DNS lookup is a real one, answered by a server the test
// runs, and what the sandbox sends to the gateway address lands in the test's own namespace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestHost, TEST_HOST, type TestHost } from '../lib/net-testhost.js';

const LINK6 = { address: 'fdb1:7bde:e96d::2', gateway: 'fdb1:7bde:e96d::1' };

/** Connects from inside; "connected: DATA" or the error code. */
async function connectInside(h: TestHost, name: string, host: string, port: number): Promise<string> {
  const js = `const s=require('net').connect({host:'${host}',port:${port},timeout:5000});let d='';s.on('data',x=>d+=x);s.on('end',()=>{console.log('connected: '+d.trim())});s.on('error',e=>console.log(e.code));s.on('timeout',()=>{console.log('timeout');s.destroy()})`;
  return (await h.ok(['exec', name, '--', 'node', '-e', js])).trim();
}

/** Global IPv6 addresses ("ADDR/PREFIX") of `ip -o -6 addr` output. */
function globals6(ipOutput: string): string[] {
  return [...ipOutput.matchAll(/inet6 (\S+) scope global/g)].map((m) => m[1]!).sort();
}

/** Pids (as the test host sees them) of pasta processes serving the namespace of pid. */
function pastaPids(h: TestHost, pid: number): number[] {
  const proc = `/proc/${h.pid}/root/proc`;
  return fs.readdirSync(proc).filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const argv = fs.readFileSync(`${proc}/${d}/cmdline`, 'utf8').split('\0');
      return /(^|\/)pasta$/.test(argv[0] ?? '') && argv.includes(`/proc/${pid}/ns/net`);
    } catch {
      return false;
    }
  }).map(Number);
}

describe('network mode nat', { timeout: 300_000 }, () => {
  let h: TestHost;
  let nat = '';
  let natlo = '';

  before(async () => {
    h = await startTestHost({
      names: { 'only-in-test.example': '198.18.200.77' },
      // Real machines at the gateway addresses, as far as pasta can tell: a connection the sandbox
      // makes to the gateway reaches one of these unless pasta maps it to the host's loopback.
      servers: { '198.19.255.1': 'machine at 198.19.255.1', [LINK6.gateway]: `machine at ${LINK6.gateway}` },
    });
    nat = h.file('nat.sandtray', 'apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n');
    natlo = h.file('natlo.sandtray', 'apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n  allowHostLoopback: true\n');
  });
  after(async () => {
    await h?.stop();
  });

  it('has a fixed link and a route out; DNS is answered by the host\'s resolver; the host loopback is not reachable', async () => {
    await h.ok(['launch', 'n1', '--profile', nat]);
    assert.match(await h.ok(['exec', 'n1', '--', 'ip', '-o', '-4', 'addr']), /inet 198\.19\.255\.2\/24 /);
    assert.match(await h.ok(['exec', 'n1', '--', 'ip', 'route']), /^default via 198\.19\.255\.1 /m);
    assert.match(await h.ok(['exec', 'n1', '--', 'cat', '/etc/resolv.conf']), /^nameserver 198\.19\.255\.3$/m);
    // A real lookup: the sandbox asks 198.19.255.3, pasta asks the test host's resolver (the
    // test's DNS server), and the answer only that server knows comes back.
    assert.match(await h.ok(['exec', 'n1', '--', 'getent', 'hosts', 'only-in-test.example']), /^198\.18\.200\.77\s+only-in-test\.example$/m);
    // The sandbox's own 127.0.0.1 is its own; pasta forwards no host port into it.
    assert.equal(await connectInside(h, 'n1', '127.0.0.1', TEST_HOST.port), 'ECONNREFUSED');
    // The gateway address is not mapped to the host's loopback: the connection goes where any
    // other address would, here to the test host's machine at that address.
    assert.equal(await connectInside(h, 'n1', '198.19.255.1', TEST_HOST.port), 'connected: machine at 198.19.255.1');
    assert.equal(await connectInside(h, 'n1', LINK6.gateway, TEST_HOST.port), `connected: machine at ${LINK6.gateway}`);
    assert.match(await h.ok(['info', 'n1']), /Network: +nat/);
  });

  it("gets fixed IPv6 addresses, never the host's", async () => {
    // The test host has a global IPv6 address and default route, which pasta copies by default.
    const hostAddrs = globals6(await h.sh('ip -o -6 addr'));
    assert.deepEqual(globals6(await h.sh('ip -o -6 addr show dev th0')), [`${TEST_HOST.address6}/64`]);
    // Positive control: pasta without Sandtray's addresses gives a namespace the host's address.
    // Both waits are for positive conditions, bounded (600 tries each) and generous for a loaded
    // machine; the namespace outlives them (killed at the end).
    const copied = globals6(await h.sh([
      'unshare --user --map-root-user --net sleep 300 & ns=$!',
      'i=0; until [ -e /proc/$ns/ns/net ] && [ "$(readlink /proc/$ns/ns/net)" != "$(readlink /proc/self/ns/net)" ]; do i=$((i+1)); [ $i -lt 600 ] || { echo "positive control: the namespace of unshare did not appear" >&2; kill $ns; exit 1; }; sleep 0.05; done',
      'pasta --config-net -t none -u none -T none -U none --quiet --foreground --netns /proc/$ns/ns/net --userns /proc/$ns/ns/user & p=$!',
      'i=0; until nsenter -t $ns -U -n --preserve-credentials ip -o -6 addr | grep -q "scope global"; do i=$((i+1)); [ $i -lt 600 ] || { echo "positive control: plain pasta gave the namespace no global IPv6 address: $(nsenter -t $ns -U -n --preserve-credentials ip -o -6 addr)" >&2; kill $p $ns; exit 1; }; sleep 0.05; done',
      'nsenter -t $ns -U -n --preserve-credentials ip -o -6 addr; kill $p $ns',
    ].join('\n'), 120_000));
    assert.deepEqual(copied, [`${TEST_HOST.address6}/64`], 'pasta copies the host address by default');
    // The sandbox: its fixed address only, and its route through the fixed gateway.
    const inside = await h.ok(['exec', 'n1', '--', 'ip', '-o', '-6', 'addr']);
    assert.deepEqual(globals6(inside), [`${LINK6.address}/64`]);
    for (const a of hostAddrs) assert.ok(!inside.includes(a.split('/')[0]!), `the host's ${a} is not inside`);
    assert.match(await h.ok(['exec', 'n1', '--', 'ip', '-6', 'route']), new RegExp(`^default via ${LINK6.gateway} `, 'm'));
  });

  it("on a host without IPv6 the sandbox gets none, or only the fixed address", async () => {
    const v4only = await startTestHost({ names: {}, ipv6: false });
    try {
      assert.deepEqual(globals6(await v4only.sh('ip -o -6 addr')), []);
      await v4only.ok(['launch', 'n4', '--profile', v4only.file('nat.sandtray', 'apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n')]);
      const g = globals6(await v4only.ok(['exec', 'n4', '--', 'ip', '-o', '-6', 'addr']));
      // pasta of Debian 12 gives no IPv6 then; later versions may still give the fixed address.
      assert.ok(g.length === 0 || (g.length === 1 && g[0] === `${LINK6.address}/64`), g.join(' '));
      assert.match(await v4only.ok(['exec', 'n4', '--', 'ip', '-o', '-4', 'addr']), /inet 198\.19\.255\.2\/24 /);
      await v4only.ok(['stop', 'n4']);
    } finally {
      await v4only.stop();
    }
  });

  it('starts on a host without /etc/resolv.conf: the link works, lookups fail at once', async () => {
    const bare = await startTestHost({ names: { 'only-in-test.example': '198.18.200.77' }, servers: { '198.18.200.9': 'machine at 198.18.200.9' }, resolvConf: false });
    try {
      assert.equal((await bare.sh('if [ -e /etc/resolv.conf ] || [ -L /etc/resolv.conf ]; then echo present; else echo absent; fi')).trim(), 'absent');
      await bare.ok(['launch', 'n5', '--profile', bare.file('nat.sandtray', 'apiVersion: sandtray/v1\nnetwork:\n  mode: nat\n')]);
      assert.match(await bare.ok(['exec', 'n5', '--', 'cat', '/etc/resolv.conf']), /^nameserver 198\.19\.255\.3$/m);
      assert.equal(await connectInside(bare, 'n5', '198.18.200.9', TEST_HOST.port), 'connected: machine at 198.18.200.9');
      // The name the test host's resolver knows (found in the test above, where resolv.conf names
      // it) is not found: pasta has no resolver to forward to. One try of one second.
      const r = await bare.run(['exec', 'n5', '--', 'sh', '-c', 'RES_OPTIONS="timeout:1 attempts:1" getent hosts only-in-test.example; echo "rc=$?"']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'rc=2');
      await bare.ok(['stop', 'n5']);
    } finally {
      await bare.stop();
    }
  });

  it('reaches the host loopback through the gateway addresses when the profile allows it', async () => {
    await h.ok(['launch', 'n2', '--profile', natlo]);
    assert.equal(await connectInside(h, 'n2', '198.19.255.1', TEST_HOST.port), 'connected: test-host loopback');
    assert.equal(await connectInside(h, 'n2', LINK6.gateway, TEST_HOST.port), 'connected: test-host loopback6');
  });

  it('a sandbox killed from outside leaves no pasta after the next stop', async () => {
    const info = JSON.parse(await h.ok(['info', 'n2', '--json'])) as { pid: number };
    assert.equal(pastaPids(h, info.pid).length, 1);
    await h.sh(`kill -KILL ${info.pid}`);
    const r = await h.run(['stop', 'n2']);
    assert.match(r.stderr, /is not running/);
    assert.equal(pastaPids(h, info.pid).length, 0);
  });

  it('leaves no pasta behind after stop', async () => {
    const info = JSON.parse(await h.ok(['info', 'n1', '--json'])) as { pid: number };
    assert.ok(info.pid);
    assert.equal(pastaPids(h, info.pid).length, 1);
    await h.ok(['stop', 'n1']);
    assert.equal(pastaPids(h, info.pid).length, 0);
  });
});
