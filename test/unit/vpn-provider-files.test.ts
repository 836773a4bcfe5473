// VPN files shaped as providers hand them out (test/unit/fixtures/vpn): the engine's verdict on
// each, the one `sandtray vpn import` prints and the desktop shows, and what the client would run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { reviewVpnFile, reviewVpnText, type VpnReview } from '../../helpers/vpn/import.js';
import { effectiveOvpn, formatOvpn, parseOvpn, type OvpnConfig } from '../../helpers/vpn/openvpn-config.js';
import { verdictForStore, verdictLines } from '../../helpers/vpn/verdict.js';
import { formatWgQuick, parseWgQuick, type WgConfig } from '../../helpers/vpn/wireguard-config.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/unit/fixtures/vpn');
const fx = (f: string) => path.join(FIXTURES, f);
const items = (list: readonly { option: string; line: number | null }[]) => list.map((i) => `${i.option}@${i.line}`);
const ovpn = (r: VpnReview): OvpnConfig => {
  assert.equal(r.config.type, 'openvpn');
  return r.config.config as OvpnConfig;
};
const wg = (r: VpnReview): WgConfig => {
  assert.equal(r.config.type, 'wireguard');
  return r.config.config as WgConfig;
};

/** What the client runs never holds a dropped or refused option, and reads back to the same options. */
function checkWritten(c: OvpnConfig): string {
  const { text } = effectiveOvpn(c, '198.19.255.1');
  for (const bad of ['script-security', 'up ', 'down ', 'setenv FORWARD_COMPATIBLE', 'setenv CLIENT_CERT', 'block-outside-dns', 'register-dns', 'dev ', 'dev-node', 'route-method', 'verb', 'plugin', 'auth-user-pass ']) {
    assert.doesNotMatch(text, new RegExp(`^${bad}`, 'm'), bad);
  }
  const again = parseOvpn(formatOvpn(c));
  assert.deepEqual(again.verdict.refused, []);
  assert.deepEqual(again.verdict.dropped, []);
  assert.deepEqual(again.remotes, c.remotes);
  return text;
}

test('Mullvad OpenVPN (.conf, files next to it, update-resolv-conf): DNS helpers dropped, files read and inlined, credentials found', () => {
  const r = reviewVpnFile(fx('mullvad/mullvad_se_sto.conf'));
  assert.equal(r.type, 'openvpn');
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(v.filesRead, [fx('mullvad/mullvad_userpass.txt'), fx('mullvad/mullvad_ca.crt')]);
  assert.deepEqual(items(v.rewritten), ['auth-user-pass@16', 'ca@17']);
  assert.deepEqual(items(v.dropped), ['dev@2', 'persist-key@5', 'persist-tun@6', 'verb@7', 'tun-ipv6@18', 'up@20', 'down@21', 'script-security@19']);
  assert.match(v.dropped.find((d) => d.option === 'up')!.reason, /Sandtray writes the sandbox's resolv.conf itself/);
  assert.deepEqual(v.needs, { username: true, password: true });
  const c = ovpn(r);
  assert.deepEqual(c.credentials, { username: '1234567890123456', password: 'm' });
  assert.equal(c.remotes.length, 3);
  const text = checkWritten(c);
  assert.match(text, /^<ca>\n-----BEGIN CERTIFICATE-----/m);
  assert.match(text, /^auth-user-pass$/m);
  assert.doesNotMatch(text, /1234567890123456|mullvad_userpass|mullvad_ca\.crt/);
  const lines = verdictLines(v);
  assert.match(lines[0]!, /^read: .*mullvad_userpass\.txt, .*mullvad_ca\.crt$/);
  assert.ok(lines.includes("dropped: up (line 20), down (line 21): update-resolv-conf hands the VPN's DNS servers to your computer's resolver; Sandtray writes the sandbox's resolv.conf itself"));
});

test('ProtonVPN OpenVPN: script lines and the Connect hint dropped, tls-crypt kept', () => {
  const r = reviewVpnFile(fx('protonvpn/se-01.protonvpn.udp.ovpn'));
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(v.filesRead, []);
  assert.deepEqual(items(v.dropped), ['dev@14', 'setenv CLIENT_CERT@29', 'persist-key@32', 'persist-tun@33', 'up@43', 'down@44', 'script-security@42']);
  assert.deepEqual(v.needs, { username: true, password: true });
  const c = ovpn(r);
  assert.deepEqual(c.blocks.map((b) => b.tag), ['ca', 'tls-crypt']);
  assert.deepEqual(c.remotes.map((x) => x.port), [80, 51820, 4569, 1194, 5060]);
  assert.ok(r.hasInlineKeys);
  checkWritten(c);
});

test('NordVPN OpenVPN: everything kept but what Sandtray sets itself', () => {
  const r = reviewVpnFile(fx('nordvpn/se123.nordvpn.com.udp.ovpn'));
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(items(v.dropped), ['dev@2', 'persist-key@11', 'persist-tun@12', 'verb@23']);
  for (const o of ['comp-lzo', 'verify-x509-name', 'tun-mtu-extra', 'ping-timer-rem', 'auth', 'cipher', 'key-direction', '<tls-auth>']) assert.ok(v.kept.some((k) => k.option === o), o);
  const text = checkWritten(ovpn(r));
  assert.match(text, /^verify-x509-name CN=se123\.nordvpn\.com$/m);
});

test('AirVPN OpenVPN with IPv6: UV_IPV6 goes to the server, client certificate and key kept', () => {
  const r = reviewVpnFile(fx('airvpn/AirVPN_SE_Stockholm_UDP-443-Entry3.ovpn'));
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(items(v.dropped), ['dev@8', 'persist-key@12', 'persist-tun@13', 'verb@15']);
  assert.ok(v.kept.some((k) => k.option === 'setenv UV_IPV6'));
  assert.deepEqual(v.needs, { username: false, password: false });
  const text = checkWritten(ovpn(r));
  assert.match(text, /^setenv UV_IPV6 yes$/m);
  assert.match(text, /^push-peer-info$/m);
  assert.deepEqual(ovpn(r).blocks.map((b) => b.tag), ['ca', 'cert', 'key', 'tls-crypt']);
});

test('OpenVPN Access Server without a one-time code: Connect hints and setenv opt dropped, tls-crypt-v2 kept', () => {
  const r = reviewVpnFile(fx('access-server/alice@vpn.example.com.ovpn'));
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(items(v.dropped), ['setenv FORWARD_COMPATIBLE@14', 'dev@22', 'dev-type@23', 'verb@28', 'block-outside-dns (setenv opt)@30']);
  assert.deepEqual(v.needs, { username: true, password: true });
  const c = ovpn(r);
  assert.deepEqual(c.remotes.map((x) => `${x.host}:${x.port}/${x.proto}`), ['vpn.example.com:1194/udp', 'vpn.example.com:1194/udp', 'vpn.example.com:443/tcp', 'vpn.example.com:1194/udp']);
  assert.equal(c.challenge, null);
  assert.ok(c.blocks.some((b) => b.tag === 'tls-crypt-v2'));
  checkWritten(c);
});

test('OpenVPN Access Server with a one-time code: the static challenge is recognised and said at import', () => {
  const r = reviewVpnFile(fx('access-server/alice-totp@vpn.example.com.ovpn'));
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(v.needs, { username: true, password: true, challenge: { text: 'Enter Authenticator Code', echo: true } });
  const c = ovpn(r);
  assert.deepEqual(c.challenge, { text: 'Enter Authenticator Code', echo: true });
  assert.match(checkWritten(c), /^static-challenge "Enter Authenticator Code" 1$/m);
  assert.match(verdictLines(v).at(-1)!, /one-time code at every start \("Enter Authenticator Code"\)/);
});

test('a Windows client file (CRLF, Wintun, block-outside-dns): Windows options dropped with a note', () => {
  const text = fs.readFileSync(fx('windows/office.ovpn'), 'utf8');
  assert.match(text, /\r\n/, 'the fixture has Windows line ends');
  const r = reviewVpnFile(fx('windows/office.ovpn'));
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(items(v.dropped), ['dev@7', 'dev-node@8', 'windows-driver@9', 'persist-key@14', 'persist-tun@15', 'block-outside-dns@18', 'register-dns@19', 'route-method@20', 'route-delay@21', 'ip-win32@22', 'verb@23']);
  assert.ok(verdictLines(v).includes('dropped: windows-driver (line 9), block-outside-dns (line 18), register-dns (line 19), route-method (line 20), ip-win32 (line 22): Windows only; it has no effect on Linux'));
  const written = checkWritten(ovpn(r));
  assert.doesNotMatch(written, /\r/);
  assert.match(written, /<key>\n-----BEGIN PRIVATE KEY-----\n/);
});

test('WireGuard from Mullvad with the kill switch: PostUp/PreDown dropped, keys found', () => {
  const r = reviewVpnFile(fx('wireguard/se-sto-wg-001.conf'));
  assert.equal(r.type, 'wireguard');
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(items(v.dropped), ['PostUp@6', 'PreDown@7']);
  assert.match(v.dropped[0]!.reason, /the sandbox is a kill switch by construction/);
  const c = wg(r);
  assert.deepEqual(c.addresses, ['198.19.12.34/32', '2001:2:0:bb01::5:c21/128']);
  assert.deepEqual(c.peers[0]!.allowedIps, ['0.0.0.0/0', '::0/0']);
  assert.ok(c.privateKey);
  const stored = formatWgQuick({ ...c, privateKey: null });
  assert.doesNotMatch(stored, /PostUp|PreDown|iptables|yAnz5TF/);
  assert.deepEqual(parseWgQuick(stored).verdict.dropped, []);
});

test('WireGuard from ProtonVPN: comments with # inside, nothing dropped', () => {
  const r = reviewVpnFile(fx('wireguard/wg-SE-7.conf'));
  const v = r.verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(v.dropped, []);
  assert.deepEqual(items(v.kept), ['PrivateKey@8', 'Address@9', 'DNS@10', 'PublicKey@14', 'AllowedIPs@15', 'Endpoint@16']);
  assert.deepEqual(r.remotes, [{ host: '198.18.156.7', port: 51820, proto: 'udp' }]);
  assert.deepEqual(r.dns, ['198.19.2.1']);
});

test('OpenVPN itself reads what Sandtray writes for every provider file, and stops on what it refuses', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-ovpn-written-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // `--config FILE --version`: OpenVPN parses the whole file (stopping on any option error), then
  // prints its version; nothing is connected.
  const parse = (text: string) => {
    const f = path.join(dir, 'x.conf');
    fs.writeFileSync(f, text);
    return spawnSync('openvpn', ['--config', f, '--version'], { encoding: 'utf8' });
  };
  const files = ['mullvad/mullvad_se_sto.conf', 'protonvpn/se-01.protonvpn.udp.ovpn', 'nordvpn/se123.nordvpn.com.udp.ovpn', 'airvpn/AirVPN_SE_Stockholm_UDP-443-Entry3.ovpn', 'access-server/alice@vpn.example.com.ovpn', 'access-server/alice-totp@vpn.example.com.ovpn', 'windows/office.ovpn', 'attacks/connection-tcp-client.ovpn'];
  for (const f of files) {
    const c = ovpn(reviewVpnFile(fx(f)));
    for (const text of [effectiveOvpn(c, '198.19.255.1').text, formatOvpn(c)]) {
      const r = parse(text);
      assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^OpenVPN 2\./, f);
    }
  }
  // The control: the raw Windows file (block-outside-dns) and a removed option stop OpenVPN here.
  assert.notEqual(parse(fs.readFileSync(fx('windows/office.ovpn'), 'utf8')).status, 0);
  assert.notEqual(parse('client\nremote a.example 1194\nkeysize 256\n').status, 0);
  assert.equal(parse(effectiveOvpn(parseOvpn('client\nremote a.example 1194\nkeysize 256\n'), '198.19.255.1').text).status, 0);
});

test('the verdict names the store the user chose: the keyring by default, the file store with --store file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-store-words-'));
  try {
    fs.writeFileSync(path.join(dir, 'creds.txt'), 'alice\nsecret\n');
    fs.writeFileSync(path.join(dir, 'pass.txt'), 'kp\n');
    const text = 'client\ndev tun\nremote 198.18.0.1 1194\nauth-user-pass creds.txt\naskpass pass.txt\n';
    const withFiles = reviewVpnText(text, { file: path.join(dir, 'a.ovpn'), dir });
    const inline = reviewVpnText('client\nremote 198.18.0.1 1194\nauth-user-pass\naskpass\n<auth-user-pass>\nalice\nsecret\n</auth-user-pass>\n', { file: path.join(dir, 'b.ovpn'), dir });
    const mullvad = reviewVpnFile(fx('mullvad/mullvad_se_sto.conf'));
    for (const r of [withFiles, inline, mullvad]) {
      assert.deepEqual(r.verdict.refused, []);
      const keyring = verdictLines(r.verdict).join('\n');
      const file = verdictLines(r.verdict, 'file').join('\n');
      // The control: by default, credentials are said to go to the keyring.
      assert.match(keyring, /move(s)? to the keyring|\(keyring, or at the terminal\)/);
      // With the file store: the file store, and no keyring but the one it is not.
      assert.match(file, /file store you chose/);
      assert.doesNotMatch(file.replace(/not a keyring/g, ''), /keyring/i, file);
      // The JSON verdict the desktop and --json show says the same.
      assert.doesNotMatch(JSON.stringify(verdictForStore(r.verdict, 'file')).replace(/not a keyring/g, ''), /keyring/i);
      assert.deepEqual(verdictForStore(r.verdict, 'keyring'), r.verdict);
    }
    assert.ok(verdictLines(withFiles.verdict, 'file').some((l) => /^rewritten: auth-user-pass \(line 4\): the user name and password in creds\.txt move to 0600 files in the file store you chose \(--store file\), not a keyring/.test(l)));
    assert.ok(verdictLines(withFiles.verdict, 'file').some((l) => /^rewritten: askpass \(line 5\): the passphrase in pass\.txt moves to a 0600 file in the file store you chose/.test(l)));
    // The stored copy says where its credentials went too.
    const c = ovpn(withFiles);
    assert.match(formatOvpn(c), /credentials are in the keyring/);
    assert.match(formatOvpn(c, 'file'), /credentials are in Sandtray's file store/);
    assert.doesNotMatch(formatWgQuick({ ...wg(reviewVpnFile(fx('wireguard/se-sto-wg-001.conf'))), privateKey: null }, 'file'), /PrivateKey is kept in the keyring/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
