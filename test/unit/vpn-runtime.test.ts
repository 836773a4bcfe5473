// The VPN runtime's pure parts: the client's jail, routes without an address of their IP version,
// WireGuard keepalives, OpenVPN's options. (What the agent logs and records: vpn-agent.test.ts.)
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { jailOptions, providedByJail } from '../../helpers/vpn/jail.js';
import { CONNECT_TIMEOUT_SEC, openvpnArgv } from '../../helpers/vpn/openvpn.js';
import { openvpnTunnel, wireguardTunnel } from '../../helpers/vpn/tunnel.js';
import { DEFAULT_KEEPALIVE_SEC, peerKeepalives, wgSetconfText } from '../../helpers/vpn/wireguard.js';
import { formatWgQuick, parseWgQuick } from '../../helpers/vpn/wireguard-config.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const wg = (peer: string) => parseWgQuick(`[Interface]\nAddress = 198.19.9.2/24\n[Peer]\nPublicKey = ${KEY}\nEndpoint = 127.0.0.1:51820\nAllowedIPs = 0.0.0.0/0, ::/0\n${peer}`);

test('the jail: /usr, a few /etc files, tun, private /tmp /run /var, one writable folder; nothing of the home', () => {
  const home = os.homedir();
  const opts = jailOptions({ what: 'openvpn', uplinkPid: 1, resolvConf: '/run/x/uplink-resolv.conf', readOnly: ['/cfg/ca.crt', '/usr/share/ca.crt'], folders: ['/cfg'], chdir: '/cfg', argv: ['openvpn'] },
    { host: '/run/x/vpn-jail', shared: '/run/x/vpn-client', output: '/run/x/vpn-jail/client.out' }, '/run/x/vpn-jail/nsswitch.conf', 3);
  const text = opts.join(' ');
  for (const want of ['--unshare-pid', '--unshare-ipc', '--as-pid-1', '--new-session', '--cap-drop ALL --cap-add CAP_NET_ADMIN', '--ro-bind /usr /usr',
    '--ro-bind /run/x/uplink-resolv.conf /etc/resolv.conf', '--ro-bind /run/x/vpn-jail/nsswitch.conf /etc/nsswitch.conf', '--dev-bind /dev/net/tun /dev/net/tun',
    '--tmpfs /tmp', '--tmpfs /run', '--tmpfs /var', '--ro-bind /cfg/ca.crt /cfg/ca.crt', '--dir /cfg', '--bind /run/x/vpn-client /run/x/vpn-client', '--remount-ro /', '--chdir /cfg', '--seccomp 3']) {
    assert.ok(text.includes(want), `${want} in ${text}`);
  }
  assert.ok(!opts.includes('--unshare-net'), 'the uplink network namespace is kept');
  assert.ok(!opts.includes(home) && !text.includes(`${home}/`), 'nothing of the home');
  assert.ok(!text.includes('/usr/share/ca.crt /usr/share/ca.crt'), 'what /usr has is not bound again');
  assert.ok(!opts.includes('/proc'), 'no /proc');
  // Only the writable folder is bound writable.
  assert.deepEqual(opts.flatMap((o, i) => (o === '--bind' ? [opts[i + 1]] : [])), ['/run/x/vpn-client']);
  assert.ok(providedByJail('/usr/lib/x') && providedByJail('/etc/ssl/certs/ca.pem') && !providedByJail('/home/u/ca.crt'));
});

test('openvpn options: a connect timeout the configuration may override; ours after it', () => {
  const argv = openvpnArgv('/r/openvpn.conf', '/', '/r/openvpn.sock');
  const at = (o: string) => argv.indexOf(o);
  assert.ok(at('--connect-timeout') > 0 && at('--connect-timeout') < at('--config'), 'before --config: the file may set its own');
  assert.equal(argv[at('--connect-timeout') + 1], String(CONNECT_TIMEOUT_SEC));
  assert.ok(CONNECT_TIMEOUT_SEC <= 15);
  for (const o of ['--verb', '--management', '--script-security', '--auth-retry', '--ifconfig-noexec']) assert.ok(at(o) > at('--config'), `${o} after --config`);
  assert.equal(argv[at('--verb') + 1], '3');
});

test('routes of an IP version the tunnel has no address of are left out', () => {
  const s = openvpnTunnel(['ifconfig 198.19.8.2 255.255.255.0', 'topology subnet', 'redirect-gateway def1 ipv6', 'route-ipv6 2001:2::/48'], [], 'tun0');
  assert.deepEqual(s.routes, ['0.0.0.0/0']);
  assert.deepEqual(s.skipped, ['route ::/0 (the tunnel has no IPv6 address)', 'route 2001:2::/48 (the tunnel has no IPv6 address)']);
  const w = wireguardTunnel(wg(''), 'wg0');
  assert.deepEqual(w.routes, ['0.0.0.0/0']);
  assert.deepEqual(w.skipped, ['route ::/0 (the tunnel has no IPv6 address)']);
});

test('WireGuard: a keepalive when the file sets none, the file\'s own otherwise', () => {
  const none = wg('');
  assert.deepEqual(peerKeepalives(none).values, [DEFAULT_KEEPALIVE_SEC]);
  assert.match(peerKeepalives(none).notes[0]!, /sets no PersistentKeepalive.*pasta.*every 25 s/);
  assert.match(wgSetconfText(none, KEY, [null], '198.19.255.1'), /\nPersistentKeepalive = 25\n/);
  const own = wg('PersistentKeepalive = 10\n');
  assert.deepEqual(peerKeepalives(own), { values: [10], notes: [] });
  assert.match(wgSetconfText(own, KEY, [null], '198.19.255.1'), /\nPersistentKeepalive = 10\n/);
  assert.deepEqual(peerKeepalives(wg('PersistentKeepalive = 600\n')).values, [DEFAULT_KEEPALIVE_SEC]);
  // An explicit off (0 or "off", as wg reads both) is overridden as well, and said so.
  for (const off of ['0', 'off']) {
    const k = peerKeepalives(wg(`PersistentKeepalive = ${off}\n`));
    assert.deepEqual(k.values, [DEFAULT_KEEPALIVE_SEC]);
    assert.match(k.notes[0]!, /^peer 1: its PersistentKeepalive is off; pasta .* every 25 s$/);
    assert.match(formatWgQuick(wg(`PersistentKeepalive = ${off}\n`)), /\nPersistentKeepalive = 0\n/, 'the stored file keeps the off');
  }
});

