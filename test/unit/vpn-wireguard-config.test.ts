// wg-quick parsing and the keyless copy that import stores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatWgQuick, isCidr, parseWgQuick } from '../../helpers/vpn/wireguard-config.js';
import { wgSetconfText } from '../../helpers/vpn/wireguard.js';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUB = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const PSK = 'FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=';
const CONF = `[Interface]
PrivateKey = ${PRIV}
Address = 10.9.0.2/24, fd00::2/64
DNS = 10.9.0.1, corp.example
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
  assert.deepEqual(c.addresses, ['10.9.0.2/24', 'fd00::2/64']);
  assert.deepEqual(c.dns, ['10.9.0.1']);
  assert.deepEqual(c.searchDomains, ['corp.example']);
  assert.equal(c.mtu, 1380);
  assert.deepEqual(c.peers, [{ publicKey: PUB, presharedKey: PSK, endpoint: { host: 'vpn.example.com', port: 51820 }, allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 }]);
  assert.deepEqual(parseWgQuick(CONF.replace('vpn.example.com:51820', '[2001:db8::1]:51820')).peers[0]!.endpoint, { host: '2001:db8::1', port: 51820 });
});

test('hooks that run programs are refused by name', () => {
  assert.throws(() => parseWgQuick(`${CONF}`.replace('MTU = 1380', 'PostUp = iptables -A x\nPreDown = y')), /"PostUp" at line 5.*"PreDown" at line 6/);
});

test('bad values name their line', () => {
  assert.throws(() => parseWgQuick(CONF.replace(PRIV, 'short')), /line 2: PrivateKey is not a WireGuard key/);
  assert.throws(() => parseWgQuick(CONF.replace('10.9.0.2/24', '10.9.0.300/24')), /line 3: Address "10.9.0.300\/24"/);
  assert.throws(() => parseWgQuick(CONF.replace('vpn.example.com:51820', 'vpn.example.com')), /Endpoint/);
  assert.throws(() => parseWgQuick('[Interface]\nAddress = 10.0.0.2/32\n'), /no \[Peer\]/);
  assert.throws(() => parseWgQuick(CONF.replace('Address', 'Adress')), /unknown \[Interface\] key "Adress"/);
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
  for (const ok of ['10.0.0.1', '10.0.0.0/8', '::/0', 'fd00::2/64']) assert.ok(isCidr(ok), ok);
  for (const bad of ['10.0.0.256', '10.0.0.0/33', 'x', '1.2.3.4/5/6', 'fd00::/129']) assert.ok(!isCidr(bad), bad);
});
