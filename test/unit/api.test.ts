// The engine's API answers with structured results the CLI and the desktop both use: a profile's
// issues with their lines and its risks, the engine's reading of a file the user opened, and the
// secrets a start of a sandbox will need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectVpnText, sandtrayPaths, secretsNeeded, validateProfile } from '../../helpers/api/index.js';

const WG = '[Interface]\nAddress = 198.18.0.2/32\n\n[Peer]\nPublicKey = 9ZqfqmZ5fLpZRu1LZFsVx9Ym2O6N6hHPTk1eS4eBvGo=\nEndpoint = 198.18.0.1:51820\nAllowedIPs = 0.0.0.0/0\n';
const OVPN = 'client\ndev tun\nremote 198.18.0.1 1194 udp\nauth-user-pass\n';

test('validateProfile: issues with the line they point at, and the risks of what parsed', () => {
  const bad = validateProfile('apiVersion: sandtray/v1\nnetwork:\n  mode: sideways\n', os.tmpdir());
  assert.equal(bad.valid, false);
  assert.equal(bad.issues[0]?.line, 3);
  assert.match(bad.issues[0]!.path, /network\.mode/);
  assert.deepEqual(bad.risks, []);
  const host = validateProfile('apiVersion: sandtray/v1\nnetwork:\n  mode: host\n', os.tmpdir());
  assert.equal(host.valid, true, JSON.stringify(host.issues));
  assert.ok(host.risks.some((r) => r.key === 'network.mode'), 'host networking is named as a risk');
});

test('inspectVpnText: WireGuard and OpenVPN by content, other .conf files are not VPN files', () => {
  assert.equal(inspectVpnText(WG, { dir: null })?.type, 'wireguard');
  assert.equal(inspectVpnText(OVPN, { dir: null })?.type, 'openvpn');
  assert.equal(inspectVpnText('server {\n  listen 80;\n}\n', { dir: null }), null, 'nginx.conf');
  assert.equal(inspectVpnText('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n', { dir: null }), null, 'fonts.conf');
  // An .ovpn is read as OpenVPN whatever it holds, and the engine's allowlist refuses scripts.
  const up = inspectVpnText(`${OVPN}up /bin/evil\n`, { dir: null, ovpn: true });
  assert.ok(up?.verdict.refused.some((r) => r.option === 'up'), 'an up script is refused');
});

test('secretsNeeded: what a start of a VPN sandbox reads or asks for; none for other sandboxes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-api-'));
  try {
    const paths = sandtrayPaths({ HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'c'), XDG_DATA_HOME: path.join(dir, 'd'), XDG_STATE_HOME: path.join(dir, 's'), XDG_RUNTIME_DIR: path.join(dir, 'r') });
    const write = (name: string, profileText: string): void => {
      const profile = path.join(dir, `${name}.sandtray`);
      fs.writeFileSync(profile, profileText);
      const rec = path.join(paths.data, 'sandboxes', name);
      fs.mkdirSync(rec, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(rec, 'sandbox.json'), JSON.stringify({ apiVersion: 'sandtray/v1', name, profiles: [profile], overrides: null, createdAt: new Date().toISOString() }), { mode: 0o600 });
    };
    fs.writeFileSync(path.join(dir, 'work.ovpn'), `${OVPN}<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n`);
    write('work', `apiVersion: sandtray/v1\nnetwork:\n  mode: vpn\n  vpn:\n    type: openvpn\n    config: ${path.join(dir, 'work.ovpn')}\n`);
    write('wg', `apiVersion: sandtray/v1\nnetwork:\n  mode: vpn\n  vpn:\n    type: wireguard\n    config: ${path.join(dir, 'wg.conf')}\n`);
    fs.writeFileSync(path.join(dir, 'wg.conf'), WG);
    write('plain', 'apiVersion: sandtray/v1\nnetwork:\n  mode: none\n');
    assert.deepEqual((await secretsNeeded('work', paths)).map((n) => n.key), ['username', 'password']);
    assert.deepEqual((await secretsNeeded('wg', paths)).map((n) => n.key), ['private-key']);
    assert.deepEqual(await secretsNeeded('plain', paths), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
