// .ovpn parsing: remotes, protocols, inline blocks, credentials, and the directives we refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveOvpn, parseOvpn, tokenize } from '../../helpers/vpn/openvpn-config.js';
import { detectVpnType, nameFromFile } from '../../helpers/vpn/import.js';

const BASE = `client
dev tun
proto udp
remote vpn1.example.com 1194
remote vpn2.example.com 443 tcp
remote 127.0.0.1 1195
auth-user-pass
user nobody
group nogroup
<ca>
-----BEGIN CERTIFICATE-----
MIIB
-----END CERTIFICATE-----
</ca>
<key>
-----BEGIN ENCRYPTED PRIVATE KEY-----
abc
-----END ENCRYPTED PRIVATE KEY-----
</key>
<tls-auth>
-----BEGIN OpenVPN Static key V1-----
00
-----END OpenVPN Static key V1-----
</tls-auth>
key-direction 1
`;

test('tokenize follows OpenVPN quoting', () => {
  assert.deepEqual(tokenize('remote "a b" 1194 # comment'), ['remote', 'a b', '1194']);
  assert.deepEqual(tokenize("pull-filter ignore 'route 10.'"), ['pull-filter', 'ignore', 'route 10.']);
  assert.deepEqual(tokenize('x a\\ b "c\\"d"'), ['x', 'a b', 'c"d']);
  assert.deepEqual(tokenize('; all comment'), []);
  assert.throws(() => tokenize('remote "open'), /unterminated/);
});

test('several remotes with their protocols, inline blocks and what a start needs', () => {
  const c = parseOvpn(BASE);
  assert.deepEqual(c.remotes, [
    { host: 'vpn1.example.com', port: 1194, proto: null },
    { host: 'vpn2.example.com', port: 443, proto: 'tcp' },
    { host: '127.0.0.1', port: 1195, proto: null },
  ]);
  assert.equal(c.proto, 'udp');
  assert.deepEqual(c.blocks.map((b) => b.tag), ['ca', 'key', 'tls-auth']);
  assert.equal(c.needsUserPass, true);
  assert.equal(c.authFile, null);
  assert.equal(c.encryptedKey, true);
  assert.equal(parseOvpn(BASE.replace('proto udp', 'proto tcp-client')).proto, 'tcp');
});

test('the effective config points loopback remotes at the uplink gateway and drops what Sandtray owns', () => {
  const { text, notes } = effectiveOvpn(parseOvpn(BASE), '198.19.255.1');
  assert.match(text, /^remote 198\.19\.255\.1 1195$/m);
  assert.match(text, /^remote vpn1\.example\.com 1194$/m);
  assert.doesNotMatch(text, /^user |^group |^dev /m);
  assert.match(text, /^auth-user-pass$/m);
  assert.match(text, /<tls-auth>\n-----BEGIN OpenVPN Static key V1-----/);
  assert.deepEqual(notes, ['"user" (line 8) is ignored in a sandbox', '"group" (line 9) is ignored in a sandbox']);
});

test('directives that run programs are refused, each named with its line', () => {
  const bad = `${BASE}script-security 2\nup /etc/openvpn/update-resolv-conf\nroute-up "/bin/sh x"\nplugin /usr/lib/p.so\n`;
  assert.throws(() => parseOvpn(bad, 'work.ovpn'), (err: Error) => {
    assert.match(err.message, /^work\.ovpn: /);
    for (const [d, line] of [['script-security', 26], ['up', 27], ['route-up', 28], ['plugin', 29]] as const) assert.match(err.message, new RegExp(`"${d}" at line ${line}`));
    return true;
  });
  assert.throws(() => parseOvpn(`${BASE}management 127.0.0.1 7505\n`), /"management" at line/);
  assert.throws(() => parseOvpn(`${BASE}log /tmp/x\n`), /"log" at line/);
});

test('tap devices, server configs and configs without a remote are refused', () => {
  assert.throws(() => parseOvpn(BASE.replace('dev tun', 'dev tap')), /dev tap.*not supported/);
  assert.throws(() => parseOvpn(BASE.replace('client\n', '')), /not a client configuration/);
  assert.throws(() => parseOvpn('client\ndev tun\n'), /no "remote" line/);
  assert.throws(() => parseOvpn('client\nremote a 99999\n'), /is not a host and port/);
  assert.throws(() => parseOvpn('client\nremote a 1\n<ca>\nx\n'), /<ca> is never closed/);
});

test('auth-user-pass with a file names the file for import', () => {
  const c = parseOvpn(BASE.replace('auth-user-pass', 'auth-user-pass creds.txt'));
  assert.equal(c.authFile, 'creds.txt');
  assert.match(effectiveOvpn(c, '198.19.255.1').text, /^auth-user-pass$/m);
});

test('import helpers: type detection and names from file names', () => {
  assert.equal(detectVpnType('[Interface]\nAddress = 10.0.0.2/32\n'), 'wireguard');
  assert.equal(detectVpnType(BASE), 'openvpn');
  assert.equal(nameFromFile('/x/Work VPN (EU).ovpn'), 'work-vpn-eu');
});
