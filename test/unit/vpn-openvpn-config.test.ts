// .ovpn reading as OpenVPN reads it: words and quotes, inline blocks, `setenv opt`, <connection>
// blocks, files the configuration names, and the allowlist's verdict on every option.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { effectiveOvpn, endsBlock, formatOvpn, parseOvpn, readOvpn, tokenize, type OvpnEntry } from '../../helpers/vpn/openvpn-config.js';
import { OPENVPN_OPTIONS } from '../../helpers/vpn/openvpn-options.js';
import { detectVpnType, nameFromFile } from '../../helpers/vpn/import.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
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
${CA}
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
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.startsWith(needle)) + 1;
const refused = (text: string, dir: string | null = null) => readOvpn(text, { dir }).verdict.refused.map((r) => [r.option, r.line]);
const dropped = (text: string) => readOvpn(text).verdict.dropped.map((r) => [r.option, r.line, r.reason]);

function tmpDir(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-ovpn-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('words as OpenVPN splits them: quotes end a word, backslashes escape only \\ " and space', () => {
  assert.deepEqual(tokenize('remote "a b" 1194 # comment'), ['remote', 'a b', '1194']);
  assert.deepEqual(tokenize("pull-filter ignore 'route 198.'"), ['pull-filter', 'ignore', 'route 198.']);
  assert.deepEqual(tokenize('x a\\ b "c\\"d"'), ['x', 'a b', 'c"d']);
  assert.deepEqual(tokenize('; all comment'), []);
  assert.deepEqual(tokenize('  # all comment'), []);
  // A quote ends its word: "a"b is two words; a quote inside a word is a character.
  assert.deepEqual(tokenize('x "a"b'), ['x', 'a', 'b']);
  assert.deepEqual(tokenize('x a"b"'), ['x', 'a"b"']);
  // # and ; start a comment only where a word could start.
  assert.deepEqual(tokenize('remote host#1 1194;x'), ['remote', 'host#1', '1194;x']);
  // Single quotes keep backslashes; double quotes and bare words need them doubled.
  assert.deepEqual(tokenize("ca 'C:\\dir\\ca.crt'"), ['ca', 'C:\\dir\\ca.crt']);
  assert.deepEqual(tokenize('ca "C:\\\\dir\\\\ca.crt"'), ['ca', 'C:\\dir\\ca.crt']);
  assert.deepEqual(tokenize('x ""'), ['x', '']);
  assert.deepEqual(tokenize('a\r'), ['a']);
  assert.throws(() => tokenize('ca C:\\dir\\ca.crt'), /backslash before "d"/);
  assert.throws(() => tokenize('remote "open'), /no closing quotation mark/);
  assert.throws(() => tokenize("remote 'open"), /no closing quotation mark/);
  assert.throws(() => tokenize('remote host\\'), /ends in the middle of a word/);
  assert.throws(() => tokenize(`x ${'a '.repeat(16)}`), /more than 16 words/);
  assert.deepEqual(tokenize(`x ${'a '.repeat(15)}# fine`).length, 16);
  assert.throws(() => tokenize(`x ${'a'.repeat(256)}`), /longer than the 255 bytes/);
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
  assert.deepEqual(c.verdict.needs, { username: true, password: true, keyPassphrase: true });
  assert.equal(parseOvpn(BASE.replace('proto udp', 'proto tcp-client')).proto, 'tcp');
  // --option in a file, a UTF-8 BOM and CRLF line ends read as OpenVPN reads them.
  const c2 = parseOvpn(`\uFEFF--client\r\n--remote a.example 1194\r\n<ca>\r\n${CA.replace(/\n/g, '\r\n')}\r\n</ca>\r\n`);
  assert.deepEqual(c2.remotes, [{ host: 'a.example', port: 1194, proto: null }]);
  assert.equal(c2.blocks[0]!.body, `${CA}\n`);
});

test('the written configuration holds only what was kept: loopback remotes mapped, credentials and host options gone', () => {
  const c = parseOvpn(BASE);
  const { text, notes } = effectiveOvpn(c, '198.19.255.1');
  assert.match(text, /^remote 198\.19\.255\.1 1195$/m);
  assert.match(text, /^remote vpn1\.example\.com 1194$/m);
  assert.doesNotMatch(text, /^user |^group |^dev /m);
  assert.match(text, /^auth-user-pass$/m);
  assert.match(text, /<tls-auth>\n-----BEGIN OpenVPN Static key V1-----/);
  assert.deepEqual(notes, [
    'dev (line 2) is not used: Sandtray sets this itself',
    'user (line 8) is not used: the client already runs unprivileged, inside the sandbox',
    'group (line 9) is not used: the client already runs unprivileged, inside the sandbox',
  ]);
  // Reading the written text again gives the same options: nothing is lost or added in between.
  const strip = (es: readonly OvpnEntry[]): unknown => es.map((e) => (e.kind === 'option' ? [e.name, e.args] : e.kind === 'inline' ? [e.tag, e.body] : ['connection', strip(e.entries)]));
  const again = parseOvpn(formatOvpn(c));
  assert.deepEqual(strip(again.entries), strip(c.entries));
  assert.deepEqual(again.verdict.dropped, []);
  // Words that need quoting come back as they were.
  const q = parseOvpn(`client\nremote a.example 1\nverify-x509-name 'CN=a b "c" \\\\' name\n`);
  assert.deepEqual(parseOvpn(formatOvpn(q)).directives.find((d) => d.name === 'verify-x509-name')!.args, ['CN=a b "c" \\\\', 'name']);
});

test('programs, plugins and host files are refused, each with its line and reason', () => {
  const bad = `${BASE}script-security 2\nup /bin/true\nroute-up "/bin/sh x"\nplugin /usr/lib/p.so\nlog-append /tmp/x\nstatus /tmp/s 5\nconfig other.conf\niproute /tmp/ip\ntls-verify "sh -c id"\n`;
  const v = readOvpn(bad, { file: 'work.ovpn' }).verdict;
  assert.deepEqual(v.refused.map((r) => [r.option, r.line]), [['up', 27], ['route-up', 28], ['plugin', 29], ['log-append', 30], ['status', 31], ['config', 32], ['iproute', 33], ['tls-verify', 34]]);
  assert.match(v.refused[0]!.reason, /runs a program on your computer \(\/bin\/true\)/);
  assert.deepEqual(v.dropped.find((d) => d.option === 'script-security'), { line: 26, option: 'script-security', reason: 'Sandtray sets this itself' });
  assert.throws(() => parseOvpn(bad, 'work.ovpn'), (err: Error) => {
    assert.match(err.message, /^work\.ovpn: Sandtray does not accept this configuration:\n {2}"up" at line 27: runs a program/);
    assert.match(err.message, /"plugin" at line 29: loads a plugin/);
    return true;
  });
  // Every option OpenVPN knows is in the table; anything else is refused as unknown.
  assert.deepEqual(refused(`${BASE}frobnicate yes\n`), [['frobnicate', 26]]);
  assert.deepEqual(refused(`${BASE}PLUGIN x\n`), [['PLUGIN', 26]]);
  // The management interface and the log level are Sandtray's: dropped, never passed on.
  const mgmt = readOvpn(`${BASE}management 127.0.0.1 7505\nmanagement-query-remote\nverb 9\n`);
  assert.deepEqual(mgmt.verdict.refused, []);
  assert.doesNotMatch(effectiveOvpn(mgmt, '198.19.255.1').text, /management|verb/);
});

test('tap devices, server files, files without a remote and unclosed blocks are refused', () => {
  assert.deepEqual(refused(BASE.replace('dev tun', 'dev tap')), [['dev', 2]]);
  assert.deepEqual(refused(BASE.replace('dev tun', 'dev tun\ndev-type tap')), [['dev-type', 3]]);
  assert.deepEqual(refused(BASE.replace('dev tun', 'dev vpn0')), [['dev', 2]]);
  assert.deepEqual(refused(BASE.replace('dev tun', 'dev vpn0\ndev-type tun')), []);
  assert.deepEqual(refused(BASE.replace('client\n', '')), [['client', null]]);
  assert.deepEqual(refused(BASE.replace('client\n', 'mode server\ntls-server\n')), [['mode', 1], ['tls-server', 2], ['client', null]]);
  assert.deepEqual(refused('client\ndev tun\n'), [['remote', null]]);
  assert.deepEqual(refused('client\nremote a 99999\n'), [['remote', 2]]);
  assert.deepEqual(refused('client\nremote a 1 tcp-server\n'), [['remote', 2]]);
  assert.deepEqual(refused('client\nremote a 1\n<ca>\nx\n'), [['<ca>', 3]]);
  assert.deepEqual(refused('client\nremote a 1\n<frob>\nx\n</frob>\n'), [['<frob>', 3]]);
  assert.deepEqual(refused('client\nremote a 1\nca a.crt b\n'), [['ca', 3]]);
  assert.match(readOvpn('client\nremote a 1\nca a.crt b\n').verdict.refused[0]!.reason, /takes 1 parameter\(s\), not 2/);
});

test('an inline block ends at the first line that begins with its end tag, as OpenVPN reads it', () => {
  const text = `client\nremote a.example 1194\n<ca>\n${CA}\n  </ca>junk after the tag\nplugin /usr/lib/p.so\n</ca>\n`;
  const c = readOvpn(text);
  assert.equal(c.blocks[0]!.body, `${CA}\n`);
  assert.deepEqual(c.verdict.refused.map((r) => [r.option, r.line]), [['plugin', 8], ['</ca>', 9]]);
  assert.deepEqual(c.verdict.dropped.map((r) => [r.option, r.line]), [['</ca>', 7]]);
  assert.equal(endsBlock('</ca>', 'ca'), 'yes');
  assert.equal(endsBlock(' \t</ca>x', 'ca'), 'yes');
  assert.equal(endsBlock('x</ca>', 'ca'), 'no');
  assert.equal(endsBlock(`${'A'.repeat(254)}</ca>`, 'ca'), 'no');
  assert.equal(endsBlock(`${'A'.repeat(255)}</ca>`, 'ca'), 'split');
  // OpenVPN reads a block in pieces of 255 bytes: a long line whose later piece begins with the
  // end tag would end the block there; refused rather than guessed at.
  assert.deepEqual(refused(`client\nremote a.example 1\n<ca>\n${'A'.repeat(255)}</ca>\nplugin x\n</ca>\n`), [['<ca>', 4]]);
  // A closing line longer than OpenVPN's line would leave its tail to be read as an option.
  assert.deepEqual(refused(`client\nremote a.example 1\n<ca>\n${CA}\n</ca>${' '.repeat(250)}plugin x\n`), [['</ca>', 7]]);
  // Long lines outside blocks are refused too: OpenVPN stops on them.
  assert.deepEqual(refused(`client\nremote a.example 1\nverify-x509-name ${'a'.repeat(250)}\n`), [['verify-x509-name', 3]]);
  // Long lines inside a block are fine when no piece ends it early (one-line base64).
  assert.deepEqual(refused(`client\nremote a.example 1\n<pkcs12>\n${'QUJD'.repeat(300)}\n</pkcs12>\n`), []);
});

test('setenv opt X is option X; other setenv names are passed on or dropped, never run', () => {
  const v = readOvpn(`${BASE}setenv opt plugin /usr/lib/p.so "sh -c id"\nsetenv opt block-outside-dns\nsetenv opt some-future-option 1\nsetenv UV_IPV6 yes\nsetenv FORWARD_COMPATIBLE 1\nsetenv IV_SSO webauth\nsetenv CLIENT_CERT 0\nsetenv PATH /tmp\nsetenv opt\n`).verdict;
  assert.deepEqual(v.refused.map((r) => [r.option, r.line]), [['plugin (setenv opt)', 26]]);
  const d = Object.fromEntries(v.dropped.map((x) => [x.option, x.reason]));
  assert.match(d['block-outside-dns (setenv opt)']!, /Windows only/);
  assert.match(d['some-future-option (setenv opt)']!, /does not know this option and skips it/);
  assert.match(d['setenv FORWARD_COMPATIBLE']!, /reads every option itself/);
  assert.match(d['setenv IV_SSO']!, /web login \(SSO\).*not support/);
  assert.match(d['setenv PATH']!, /only scripts and plugins read/);
  assert.ok(v.kept.some((k) => k.option === 'setenv UV_IPV6'));
  for (const attack of ['config /etc/passwd', 'log-append /home/u/.bashrc', 'providers legacy', 'pkcs11-providers /x.so', 'management 127.0.0.1 7505', 'up "/bin/sh -c id"', 'cd /', 'daemon']) {
    const words = attack.split(' ');
    const r = readOvpn(`${BASE}setenv opt ${attack}\n`);
    const all = [...r.verdict.refused, ...r.verdict.dropped].map((x) => x.option);
    assert.ok(all.includes(`${words[0]} (setenv opt)`), attack);
    assert.doesNotMatch(effectiveOvpn(r, '198.19.255.1').text, new RegExp(`^(setenv )?(opt )?${words[0]}`, 'm'), attack);
  }
});

test('options OpenVPN 2.6 removed are dropped or refused at import, saying so', () => {
  const v = readOvpn(`${BASE}keysize 256\nncp-disable\nkey-method 2\ntls-remote server\nno-iv\ncomp-lzo no\n`).verdict;
  assert.deepEqual(v.refused.map((r) => [r.option, r.line]), [['tls-remote', 29], ['no-iv', 30]]);
  assert.match(v.refused[0]!.reason, /removed in OpenVPN 2\.4; write verify-x509-name/);
  const d = Object.fromEntries(v.dropped.map((x) => [x.option, x.reason]));
  assert.match(d['keysize']!, /removed in OpenVPN 2\.6/);
  assert.match(d['ncp-disable']!, /removed in OpenVPN 2\.6/);
  assert.match(d['key-method']!, /removed in OpenVPN 2\.5/);
  assert.ok(v.kept.some((k) => k.option === 'comp-lzo'));
  // ignore-unknown-option lets a later unknown option through as dropped, as OpenVPN skips it.
  assert.deepEqual(refused(`${BASE}ignore-unknown-option frob\nfrob 1\n`), []);
  assert.deepEqual(refused(`${BASE}frob 1\nignore-unknown-option frob\n`), [['frob', 26]]);
});

test('<connection> blocks are kept with their own remote and protocol, tcp-client included', () => {
  const text = `client\ndev tun\nproto udp\nport 1200\nremote ignored.example 1\n<connection>\nremote a.example 443\nproto tcp-client\nconnect-timeout 5\n</connection>\n<connection>\nremote 127.0.0.1\n<tls-auth>\n-----BEGIN OpenVPN Static key V1-----\n00\n-----END OpenVPN Static key V1-----\n</tls-auth>\nkey-direction 1\n</connection>\n<ca>\n${CA}\n</ca>\n`;
  const c = parseOvpn(text);
  assert.deepEqual(c.remotes, [{ host: 'a.example', port: 443, proto: 'tcp-client' }, { host: '127.0.0.1', port: 1200, proto: 'udp' }]);
  assert.deepEqual(c.verdict.dropped.map((d) => [d.option, d.line]), [['dev', 2], ['remote', 5]]);
  const { text: out } = effectiveOvpn(c, '198.19.255.1');
  assert.match(out, /<connection>\nremote a\.example 443\nproto tcp-client\nconnect-timeout 5\n<\/connection>/);
  assert.match(out, /<connection>\nremote 198\.19\.255\.1\n<tls-auth>\n[^]*<\/tls-auth>\nkey-direction 1\n<\/connection>/);
  assert.doesNotMatch(out, /ignored\.example/);
  // What OpenVPN refuses inside a block is refused here too.
  assert.deepEqual(refused('client\n<connection>\nremote a 1\nca x.crt\n</connection>\n'), [['ca', 4]]);
  assert.deepEqual(refused('client\n<connection>\nremote a 1\n<ca>\nx\n</ca>\n</connection>\n'), [['<ca>', 4]]);
  assert.deepEqual(refused('client\n<connection>\nproto tcp\n</connection>\n'), [['<connection>', 2]]);
  assert.deepEqual(refused('client\n<connection>\nremote a 1\nremote b 2\n</connection>\n'), [['<connection>', 2]]);
  assert.deepEqual(refused('client\n<connection>\nremote a 1\nsetenv opt plugin x.so\n</connection>\n'), [['plugin (setenv opt)', 4]]);
});

test('files a configuration names are read from its own folder only, and go inline', (t) => {
  const root = tmpDir(t);
  const dir = path.join(root, 'Downloads', 'vpn');
  fs.mkdirSync(path.join(root, '.aws'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
  fs.writeFileSync(path.join(root, '.aws', 'credentials'), '[default]\naws_secret_access_key = not-really\n');
  fs.writeFileSync(path.join(dir, 'ca.crt'), `${CA}\n`);
  fs.writeFileSync(path.join(dir, 'ta.key'), '-----BEGIN OpenVPN Static key V1-----\n00\n-----END OpenVPN Static key V1-----\n');
  fs.writeFileSync(path.join(dir, 'keys', 'client.crt'), `${CA}\n`);
  fs.writeFileSync(path.join(dir, 'pass.txt'), 'alice\nsecret\n');
  fs.writeFileSync(path.join(dir, 'client.p12'), Buffer.from([0, 1, 2, 250, 255]));
  fs.symlinkSync(path.join(root, '.aws', 'credentials'), path.join(dir, 'link.txt'));
  fs.writeFileSync(path.join(dir, 'evil.crt'), `${CA}\n</ca>\nplugin /x.so\n<ca>\n`);
  const head = 'client\nremote a.example 1194\n';
  const ok = readOvpn(`${head}ca ca.crt\ntls-auth ${path.join(dir, 'ta.key')} 1\nauth-user-pass pass.txt\npkcs12 client.p12\n`, { dir });
  assert.deepEqual(ok.verdict.refused, []);
  assert.deepEqual(ok.verdict.filesRead, ['ca.crt', 'ta.key', 'pass.txt', 'client.p12'].map((f) => path.join(fs.realpathSync(dir), f)));
  assert.deepEqual(ok.entries.filter((e) => e.kind === 'inline').map((e) => (e as { tag: string }).tag), ['ca', 'tls-auth', 'pkcs12']);
  assert.deepEqual(ok.credentials, { username: 'alice', password: 'secret' });
  assert.equal(ok.authFile, 'pass.txt');
  assert.equal(ok.blocks.find((b) => b.tag === 'pkcs12')!.body, 'AAEC+v8=\n');
  const written = formatOvpn(ok);
  assert.match(written, /^auth-user-pass$/m);
  assert.match(written, /^key-direction 1$/m);
  assert.doesNotMatch(written, /secret|ca\.crt|ta\.key|pass\.txt/);
  // Outside the folder: "..", an absolute path, a subfolder, a symlink pointing out. Each refused with the path and the fix.
  for (const [line, why] of [
    ['auth-user-pass ../../.aws/credentials', /is .*\.aws\/credentials, outside the configuration's folder .*: copy it next to the configuration/],
    [`ca ${path.join(root, '.aws', 'credentials')}`, /outside the configuration's folder/],
    ['cert keys/client.crt', /outside the configuration's folder/],
    ['auth-user-pass link.txt', /outside the configuration's folder/],
    ['ca missing.crt', /does not exist/],
    ['ca evil.crt', /line 4 OpenVPN would read as the end of the <ca> block/],
    ['crl-verify crls dir', /a folder of revocation lists/],
    ['capath /etc/ssl/certs', /a folder of certificates/],
  ] as const) {
    const v = readOvpn(`${head}${line}\n`, { dir }).verdict;
    assert.equal(v.refused.length, 1, line);
    assert.match(v.refused[0]!.reason, why, line);
    // Only a file inside the folder is ever opened (evil.crt is, and then refused for what it holds).
    assert.equal(v.filesRead.length, line === 'ca evil.crt' ? 1 : 0, line);
  }
  // Without a folder (text only) nothing is read.
  assert.match(readOvpn(`${head}ca ca.crt\n`).verdict.refused[0]!.reason, /reads named files only from the folder/);
  // A Windows path is read as the file of that name next to the configuration.
  const win = readOvpn(`${head}ca "C:\\\\Program Files\\\\OpenVPN\\\\config\\\\ca.crt"\n`, { dir });
  assert.deepEqual(win.verdict.refused, []);
  assert.match(win.verdict.rewritten.map((r) => r.reason).join('\n'), /the Windows path C:\\Program Files\\OpenVPN\\config\\ca\.crt is read as ca\.crt next to the configuration/);
  // "[inline]" names the block that follows.
  assert.deepEqual(refused(`${head}ca [inline]\n<ca>\n${CA}\n</ca>\n`, dir), []);
  assert.deepEqual(refused(`${head}ca [inline]\n`, dir), [['ca', 3]]);
});

test('inline credentials: <auth-user-pass> alone gives the client an auth-user-pass line', () => {
  const c = parseOvpn(`client\nremote a.example 1194\n<auth-user-pass>\nalice\ns3cret\n</auth-user-pass>\n`);
  assert.equal(c.needsUserPass, true);
  assert.deepEqual(c.credentials, { username: 'alice', password: 's3cret' });
  assert.deepEqual(c.verdict.needs, { username: true, password: true });
  const out = formatOvpn(c);
  assert.match(out, /^auth-user-pass$/m);
  assert.doesNotMatch(out, /alice|s3cret|<auth-user-pass>/);
  assert.match(effectiveOvpn(c, '198.19.255.1').text, /^auth-user-pass$/m);
  // With a line as well, one bare auth-user-pass is written.
  const both = parseOvpn(`client\nremote a.example 1194\nauth-user-pass\n<auth-user-pass>\nalice\ns3cret\n</auth-user-pass>\n`);
  assert.equal(formatOvpn(both).match(/^auth-user-pass$/gm)!.length, 1);
});

test('one-time codes: static-challenge is kept and asked for; a dynamic challenge is not supported yet', () => {
  const c = parseOvpn(`client\nremote a.example 1194\nauth-user-pass\nstatic-challenge "Enter Authenticator Code" 1\nauth-retry interact\n`);
  assert.deepEqual(c.challenge, { text: 'Enter Authenticator Code', echo: true });
  assert.deepEqual(c.verdict.needs, { username: true, password: true, challenge: { text: 'Enter Authenticator Code', echo: true } });
  assert.match(effectiveOvpn(c, '198.19.255.1').text, /^static-challenge "Enter Authenticator Code" 1$/m);
  assert.match(c.verdict.dropped.find((d) => d.option === 'auth-retry')!.reason, /dynamic challenge\) is not supported yet/);
  const noEcho = parseOvpn(`client\nremote a.example 1194\nauth-user-pass\nstatic-challenge 'PIN' 0\n`);
  assert.deepEqual(noEcho.challenge, { text: 'PIN', echo: false });
  const alone = parseOvpn(`client\nremote a.example 1194\nstatic-challenge PIN 1\n`);
  assert.equal(alone.challenge, null);
  assert.doesNotMatch(effectiveOvpn(alone, '198.19.255.1').text, /static-challenge/);
});

test('DNS helper scripts are dropped with a note; script-security says why it went', () => {
  const dns = dropped(`${BASE}script-security 2\nup /etc/openvpn/update-resolv-conf\ndown /etc/openvpn/update-resolv-conf\ndown-pre\nup /etc/openvpn/scripts/update-systemd-resolved\n`);
  assert.deepEqual(dns.slice(3).map((d) => [d[0], d[1]]), [['up', 27], ['down', 28], ['down-pre', 29], ['up', 30], ['script-security', 26]]);
  assert.match(String(dns[3]![2]), /update-resolv-conf hands the VPN's DNS servers to your computer's resolver; Sandtray writes the sandbox's resolv.conf itself/);
  assert.match(String(dns.at(-1)![2]), /only the DNS helper scripts needed it/);
  assert.deepEqual(refused(`${BASE}up /etc/openvpn/my-script.sh\n`), [['up', 26]]);
  assert.deepEqual(refused(`${BASE}up "/etc/openvpn/update-resolv-conf" extra\n`), [['up', 26]]);
});

test('Windows-only options are dropped with a note, not refused', () => {
  const v = readOvpn(`${BASE}block-outside-dns\nregister-dns\ndev-node "OpenVPN Wintun"\nroute-method exe\nip-win32 dynamic\nwindows-driver wintun\n`).verdict;
  assert.deepEqual(v.refused, []);
  assert.deepEqual(v.dropped.slice(3).map((d) => d.option), ['block-outside-dns', 'register-dns', 'dev-node', 'route-method', 'ip-win32', 'windows-driver']);
  assert.match(v.dropped[3]!.reason, /Windows only/);
});

test('the table covers every option OpenVPN 2.6 parses, and each has a class and a reason where needed', () => {
  for (const [name, s] of Object.entries(OPENVPN_OPTIONS)) {
    assert.ok(s.min <= s.max, name);
    if (s.class === 'refuse' || s.class === 'drop' || s.class === 'engine') assert.ok(s.reason, name);
  }
  // A sample of options OpenVPN's own parser knows (options.c, add_option), each classified.
  for (const n of ['tls-groups', 'peer-fingerprint', 'dns', 'data-ciphers', 'tun-mtu-max', 'auth-gen-token', 'pkcs11-id', 'providers', 'engine', 'force-tls-key-material-export', 'ifconfig-ipv6', 'route-ipv6', 'compat-mode', 'x509-track', 'vlan-pvid', 'bind-dev']) assert.ok(OPENVPN_OPTIONS[n], n);
});

test('a NUL byte refuses the file', () => {
  assert.deepEqual(refused('client\nremote a 1\x00\n'), [['(file)', null], ['client', null], ['remote', null]]);
});

test('import helpers: type detection and names from file names', () => {
  assert.equal(detectVpnType('[Interface]\nAddress = 198.19.0.2/32\n'), 'wireguard');
  assert.equal(detectVpnType(BASE), 'openvpn');
  assert.equal(nameFromFile('/x/Work VPN (EU).ovpn'), 'work-vpn-eu');
  assert.equal(lineOf(BASE, 'user'), 8);
});
