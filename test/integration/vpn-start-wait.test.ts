// `start --wait`: returns only once the VPN tunnel is connected, so the next command reaches the
// server through it; a tunnel that fails or is not up in time, or Ctrl-C while waiting, exits
// non-zero and leaves the sandbox stopped. The OpenVPN server holds each login at a gate the test
// opens (its auth-user-pass-verify script waits for a file): while the gate is shut the tunnel
// cannot be connected, so what `start` and `start --wait` do before it opens needs no timing luck.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { BIN, cmdlinesWith, sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { freePort, startOvpnServer, startWgPeer, stopAllLab, until, type OvpnServer, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { vpnStatus, waitVpn } from '../lib/vpn-wait.js';

const WAIT_MS = 90_000;

/**
 * The server's login check: a password other than "right" is refused at once; the right one
 * marks `asked`, then waits (at most 90 s) for `gate`, which it removes, and is accepted.
 */
const GATED_VERIFY = `#!/bin/sh
d=$(dirname "$0")
[ "$(sed -n 2p "$1")" = right ] || exit 1
: > "$d/asked"
i=0
while [ ! -e "$d/gate" ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done
rm "$d/gate" 2>/dev/null
`;

/** `sandtray ARGS` running in the background, its stdout and stderr collected as they come. */
function background(e: Env, args: string[]): { p: ResultPromise; out: () => string; err: () => string } {
  const p = execa(process.execPath, [BIN, ...args], { env: e.env, extendEnv: false, reject: false, stdin: 'ignore', buffer: false, timeout: 150_000 });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { p, out: () => out, err: () => err };
}

describe('start --wait', { timeout: 600_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let server: OvpnServer;
  let peer: WgPeer;
  const token = `wait-ovpn-${Date.now()}`;
  const wgToken = `wait-wg-${Date.now()}`;
  const asked = (): string => path.join(server.ns.dir, 'asked');
  const gate = (): string => path.join(server.ns.dir, 'gate');
  /** Opens the gate for the login the server is holding, and waits until that login took it. */
  const openGate = async (): Promise<void> => {
    fs.writeFileSync(gate(), '');
    await until(() => !fs.existsSync(gate()), WAIT_MS, 'the server to take the gate');
  };
  const stateOf = async (name: string): Promise<string> => (/State: +(\S+)/.exec(await e.ok(['info', name])) ?? [])[1] ?? '?';
  const runtimeDir = (name: string): string => path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', name);

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-wait');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    [server, peer] = await Promise.all([
      startOvpnServer('wait', '198.18.90.2', { proto: 'tcp', subnet: '198.19.8', redirectGateway: true, verify: GATED_VERIFY, token, dnsName: 'wait.vpn.test' }),
      startWgPeer('wait-wg', '198.18.91.2', { subnet: '198.19.9', token: wgToken, dnsName: 'wait-wg.vpn.test' }),
    ]);
    const file = path.join(e.dir, 'gated.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    await e.ok(['secret', 'set', 'gated', 'username'], { input: 'alice' });
    await e.ok(['secret', 'set', 'gated', 'password'], { input: 'right' });
  });
  after(async () => {
    await e?.cleanup();
    await server?.stop();
    await peer?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('usage errors are refused before anything starts', { timeout: 120_000 }, async () => {
    for (const [args, re] of [
      [['--wait', '--wait-timeout', 'abc'], /--wait-timeout abc: expected seconds/],
      [['--wait', '--wait-timeout=-1'], /--wait-timeout -1: expected seconds/],
      [['--wait-timeout', '5'], /--wait-timeout goes with --wait/],
    ] as const) {
      const r = await e.run(['start', 'gated', ...args]);
      assert.equal(r.exitCode, 2, `start gated ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(await stateOf('gated'), 'STOPPED');
      assert.ok(!fs.existsSync(asked()), 'no login reached the server');
    }
    const l = await e.run(['launch', 'never', '--wait', '--wait-timeout', 'abc']);
    assert.equal(l.exitCode, 2);
    assert.match(l.stderr, /--wait-timeout abc: expected seconds/);
    assert.equal(JSON.parse(await e.ok(['list', '--json'])).filter((s: { name: string }) => s.name === 'never').length, 0, 'launch created nothing');
    // A sandbox without a VPN: running is ready, and --wait adds no wait.
    await e.ok(['create', 'plain']);
    const p = await e.run(['start', 'plain', '--wait']);
    assert.equal(p.exitCode, 0, p.stderr);
    assert.match(p.stdout, /^Started plain \(pid \d+\)$/m);
    assert.doesNotMatch(p.stderr, /waiting/);
    await e.ok(['delete', '--force', 'plain']);
  });

  it('OpenVPN: start returns while the tunnel is not up; start --wait only once it is, and exec reaches the server at once', { timeout: 300_000 }, async () => {
    // Control: without --wait, start returns while the server holds the login at its shut gate,
    // so the tunnel is not connected at that moment, whatever the timing.
    fs.rmSync(asked(), { force: true });
    await e.ok(['start', 'gated']);
    const at = await vpnStatus(e, 'gated');
    assert.notEqual(at.state, 'connected', 'the tunnel cannot be up while the gate is shut');
    assert.notEqual(at.state, 'failed', String(at.message));
    await until(() => fs.existsSync(asked()), WAIT_MS, 'the login to reach the server');
    assert.notEqual((await vpnStatus(e, 'gated')).state, 'connected');
    await openGate();
    await waitVpn(e, 'gated', 'connected', WAIT_MS);
    await e.ok(['stop', 'gated']);

    // --wait: still waiting while the server holds the login (it cannot be connected), then
    // returns 0 once the gate opens, and the very next command reaches the server.
    fs.rmSync(asked(), { force: true });
    const w = background(e, ['start', 'gated', '--wait']);
    await until(() => fs.existsSync(asked()) && /waiting up to 60 s for the VPN tunnel of gated/.test(w.err()), WAIT_MS, `the login to reach the server while start --wait waits: ${w.err()}`);
    assert.equal(w.p.exitCode, null, `start --wait returned before the tunnel could be up: ${w.out()} ${w.err()}`);
    assert.equal(w.out(), '', 'nothing on stdout while waiting');
    await openGate();
    const r = await w.p;
    assert.equal(r.exitCode, 0, w.err());
    assert.match(w.out(), new RegExp(`^Started gated \\(pid \\d+\\), VPN connected: 198\\.19\\.8\\.2/24 via 127\\.0\\.0\\.1:${server.port}$`, 'm'));
    assert.equal(await httpInside(e, 'gated', '198.19.8.1'), token);
    await e.ok(['stop', 'gated']);
  });

  it('Ctrl-C while waiting stops the sandbox it started, exit 130', { timeout: 300_000 }, async () => {
    fs.rmSync(asked(), { force: true });
    const w = background(e, ['start', 'gated', '--wait']);
    await until(() => fs.existsSync(asked()) && /waiting up to/.test(w.err()), WAIT_MS, `start --wait to wait: ${w.err()}`);
    w.p.kill('SIGINT');
    const r = await w.p;
    assert.equal(r.exitCode, 130, w.err());
    assert.match(w.err(), /interrupted \(SIGINT\); stopped gated, which this command started/);
    assert.equal(await stateOf('gated'), 'STOPPED');
    assert.deepEqual(cmdlinesWith(runtimeDir('gated')), []);
    // The server still holds that login: let it go before the next test.
    await openGate();
  });

  it('pid 1 dying while waiting ends the wait at once with that reason', { timeout: 300_000 }, async () => {
    fs.rmSync(asked(), { force: true });
    const w = background(e, ['start', 'gated', '--wait']);
    await until(() => fs.existsSync(asked()) && /waiting up to/.test(w.err()), WAIT_MS, `start --wait to wait: ${w.err()}`);
    const init = (JSON.parse(await e.ok(['info', 'gated', '--json'])) as { pid: number }).pid;
    process.kill(init, 'SIGKILL');
    // The gate stays shut: only pid 1's end can end this wait before the 60 s.
    const r = await w.p;
    assert.equal(r.exitCode, 1, w.err());
    assert.match(w.err(), /Sandbox "gated" stopped while waiting for its VPN tunnel \(its pid 1 (ended|exited with status \d+)\)/);
    assert.doesNotMatch(w.err(), /not connected after/);
    await until(async () => (await stateOf('gated')) === 'STOPPED', WAIT_MS, 'gated to be STOPPED');
    await openGate();
  });

  it('a tunnel that fails: exit 1 with the failure, and the sandbox stopped', { timeout: 300_000 }, async () => {
    // A restart of a running sandbox whose tunnel then fails leaves it running, as it was.
    fs.rmSync(asked(), { force: true });
    await e.ok(['start', 'gated']);
    await until(() => fs.existsSync(asked()), WAIT_MS, 'the login to reach the server');
    await openGate();
    await waitVpn(e, 'gated', 'connected', WAIT_MS);
    await e.ok(['secret', 'set', 'gated', 'password'], { input: 'wrong' });
    try {
      const re = await e.run(['restart', 'gated', '--wait'], { timeout: 150_000 });
      assert.equal(re.exitCode, 1, re.stderr);
      assert.match(re.stderr, /The VPN tunnel of "gated" failed: authentication failed/);
      assert.match(re.stderr, /gated is left running, as it was before the restart/);
      assert.equal(await stateOf('gated'), 'RUNNING');
      await e.ok(['stop', 'gated']);
      const r = await e.run(['start', 'gated', '--wait'], { timeout: 150_000 });
      assert.equal(r.exitCode, 1, r.stderr);
      assert.match(r.stderr, /waiting up to 60 s for the VPN tunnel of gated/);
      assert.match(r.stderr, /The VPN tunnel of "gated" failed: authentication failed: the server refused the user name or password/);
      assert.match(r.stderr, /gated was stopped again, so nothing half-up is left/);
      assert.match(r.stderr, /sandtray vpn status gated/);
      assert.match(r.stderr, /sandtray log gated/);
      assert.doesNotMatch(r.stdout, /Started/);
      assert.equal(await stateOf('gated'), 'STOPPED');
      assert.deepEqual(cmdlinesWith(runtimeDir('gated')), []);
      // vpn status keeps the reason once the sandbox is stopped.
      const st = await vpnStatus(e, 'gated');
      assert.equal(st.state, 'down');
      assert.match(String(st.message), /the last start failed .*authentication failed/);
    } finally {
      await e.ok(['secret', 'set', 'gated', 'password'], { input: 'right' });
    }
  });

  it('a server that never answers: exit 1 once --wait-timeout passes, and the sandbox stopped', { timeout: 300_000 }, async () => {
    // The lab's own client file, its remote a loopback port nothing listens on.
    const dead = await freePort();
    const file = path.join(e.dir, 'dead.ovpn');
    fs.writeFileSync(file, server.clientConfig().replace(`remote 127.0.0.1 ${server.port}`, `remote 127.0.0.1 ${dead}`));
    await e.ok(['vpn', 'import', file]);
    await e.ok(['secret', 'set', 'dead', 'username'], { input: 'alice' });
    await e.ok(['secret', 'set', 'dead', 'password'], { input: 'right' });
    const r = await e.run(['start', 'dead', '--wait', '--wait-timeout', '5'], { timeout: 150_000 });
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, /waiting up to 5 s for the VPN tunnel of dead/);
    assert.match(r.stderr, /The VPN tunnel of "dead" is not connected after 5 s; it is (connecting|reconnecting)/);
    assert.match(r.stderr, /dead was stopped again/);
    assert.match(r.stderr, /--wait-timeout/);
    assert.equal(await stateOf('dead'), 'STOPPED');
    assert.deepEqual(cmdlinesWith(runtimeDir('dead')), []);
  });

  it('WireGuard: start --wait returns once the peer answered, and exec reaches it at once', { timeout: 300_000 }, async () => {
    // Without the file's own keepalive: the one Sandtray sets is what starts the handshake, with
    // nothing sent from inside before --wait returns.
    const file = path.join(e.dir, 'wgwait.conf');
    fs.writeFileSync(file, peer.clientConfig.replace(/^PersistentKeepalive = .*\n/m, ''), { mode: 0o600 });
    await e.ok(['vpn', 'import', file]);
    const r = await e.run(['start', 'wgwait', '--wait'], { timeout: 150_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /waiting up to 60 s for the VPN tunnel of wgwait/);
    assert.match(r.stdout, new RegExp(`^Started wgwait \\(pid \\d+\\), VPN connected: 198\\.19\\.9\\.2/24 via 127\\.0\\.0\\.1:${peer.port}$`, 'm'));
    assert.match(await e.ok(['log', 'wgwait']), /it sets no PersistentKeepalive/);
    assert.equal(await httpInside(e, 'wgwait', '198.19.9.1'), wgToken);
    // restart takes the same --wait.
    const again = await e.run(['restart', 'wgwait', '--wait'], { timeout: 150_000 });
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /^Restarted wgwait \(pid \d+\), VPN connected: 198\.19\.9\.2\/24/m);
    assert.equal(await httpInside(e, 'wgwait', '198.19.9.1'), wgToken);
    await e.ok(['stop', 'wgwait']);
  });
});
