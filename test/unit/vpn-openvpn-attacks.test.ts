// Files built to get past the importer (test/unit/fixtures/vpn/attacks): each is refused with its
// line and reason, and none of what it tried reaches the configuration the client runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { reviewVpnFile } from '../../helpers/vpn/import.js';
import { effectiveOvpn, readOvpn, type OvpnConfig } from '../../helpers/vpn/openvpn-config.js';

const ATTACKS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/unit/fixtures/vpn/attacks');
const review = (f: string) => reviewVpnFile(path.join(ATTACKS, f));
const refused = (f: string) => review(f).verdict.refused.map((r) => `${r.option}@${r.line}`);
const written = (f: string) => effectiveOvpn(review(f).config.config as OvpnConfig, '198.19.255.1').text;

test('setenv opt plugin: OpenVPN reads it as plugin, so it is refused as one', () => {
  assert.deepEqual(refused('setenv-opt-plugin.ovpn'), ['plugin (setenv opt)@17']);
  assert.match(review('setenv-opt-plugin.ovpn').verdict.refused[0]!.reason, /loads a plugin/);
  assert.doesNotMatch(written('setenv-opt-plugin.ovpn'), /plugin|down-root|setenv/);
});

test('setenv opt config and setenv opt log-append: another file read, a file written; both refused', () => {
  assert.deepEqual(refused('setenv-opt-config.ovpn'), ['config (setenv opt)@17']);
  assert.deepEqual(refused('setenv-opt-log-append.ovpn'), ['log-append (setenv opt)@17']);
  assert.doesNotMatch(written('setenv-opt-config.ovpn'), /other\.conf/);
  assert.doesNotMatch(written('setenv-opt-log-append.ovpn'), /bashrc/);
});

test('providers and pkcs11-providers load libraries into the client: refused', () => {
  assert.deepEqual(refused('providers.ovpn'), ['providers@17']);
  assert.deepEqual(refused('pkcs11-providers.ovpn'), ['pkcs11-providers@17', 'pkcs11-id@18']);
});

test('a block closed by a line that only begins with </ca>: it ends there, as OpenVPN ends it', () => {
  const r = review('ca-prefix-close.ovpn');
  assert.deepEqual(r.verdict.refused.map((x) => `${x.option}@${x.line}`), ['plugin@14', '</ca>@15']);
  assert.deepEqual(r.verdict.dropped.map((x) => `${x.option}@${x.line}`), ['dev@2', '</ca>@13']);
  const ca = (r.config.config as OvpnConfig).blocks.find((b) => b.tag === 'ca')!.body;
  assert.doesNotMatch(ca, /plugin|junk/);
});

test('auth-user-pass ../../.aws/credentials: refused with the path, the file never opened', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-escape-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'Downloads', 'vpn');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(root, '.aws'));
  fs.writeFileSync(path.join(root, '.aws', 'credentials'), 'AKIAEXAMPLE\nnot-a-real-secret\n');
  fs.copyFileSync(path.join(ATTACKS, 'auth-user-pass-escape.ovpn'), path.join(dir, 'work.ovpn'));
  const r = reviewVpnFile(path.join(dir, 'work.ovpn'));
  assert.deepEqual(r.verdict.refused.map((x) => `${x.option}@${x.line}`), ['auth-user-pass@17']);
  assert.equal(r.verdict.refused[0]!.reason, `names ../../.aws/credentials, which is ${path.join(fs.realpathSync(root), '.aws', 'credentials')}, outside the configuration's folder ${fs.realpathSync(dir)}: copy it next to the configuration (into ${fs.realpathSync(dir)}) and name it by its file name (auth-user-pass credentials), or paste it into a <auth-user-pass> block`);
  assert.deepEqual(r.verdict.filesRead, []);
  assert.deepEqual((r.config.config as OvpnConfig).credentials, {});
  // The same through a link placed next to the configuration.
  fs.symlinkSync(path.join(root, '.aws', 'credentials'), path.join(dir, 'creds.txt'));
  const link = readOvpn('client\nremote a.example 1194\nauth-user-pass creds.txt\n', { dir });
  assert.match(link.verdict.refused[0]!.reason, /outside the configuration's folder/);
  assert.deepEqual(link.credentials, {});
});

test('<connection> blocks with proto tcp-client: kept whole, the protocol included', () => {
  const r = review('connection-tcp-client.ovpn');
  assert.deepEqual(r.verdict.refused, []);
  assert.deepEqual(r.remotes, [{ host: 'vpn.example.net', port: 443, proto: 'tcp' }, { host: 'vpn.example.net', port: 1194, proto: 'udp' }]);
  assert.match(written('connection-tcp-client.ovpn'), /<connection>\nremote vpn\.example\.net 443\nproto tcp-client\nconnect-timeout 5\n<\/connection>\n<connection>\nremote vpn\.example\.net 1194 udp\nexplicit-exit-notify 2\n<\/connection>/);
});
