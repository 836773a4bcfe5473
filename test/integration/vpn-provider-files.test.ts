// VPN files as providers hand them out (test/unit/fixtures/vpn), imported with `sandtray vpn
// import` and connected to a real server each: Mullvad (files next to it, update-resolv-conf),
// ProtonVPN, NordVPN, AirVPN, Access Server profiles (one with a one-time code, asked at start and
// checked by the server), a Windows client file, <connection> blocks
// with tcp-client, and WireGuard in Mullvad's (kill-switch hooks) and Proton's shapes. Only the
// servers' addresses and keys are swapped for the test's own; every other line stays as shipped.
// Files built to get past the importer are refused and leave nothing behind.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { freePort, labLog, makePki, serverNs, startWgPeer, stopAllLab, until, type Pki, type ServerNs, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { startTyping, waitVpn } from '../lib/vpn-wait.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '../../../test/unit/fixtures/vpn');
const RESPONDER = path.join(HERE, '../lib/vpn-responder.js');

interface Server {
  ns: ServerNs;
  port: number;
  pki: Pki;
  token: string;
  /** The tls-crypt-v2 client key, when the server uses tls-crypt-v2. */
  v2Client: string | null;
  stop(): Promise<void>;
}

interface ServerShape {
  proto: 'udp' | 'tcp';
  tls: 'tls-auth' | 'tls-crypt' | 'tls-crypt-v2' | null;
  clientCert: boolean;
  user?: { name: string; password: string };
  /** A check of the user instead of `user`'s: a script given the file with the user name and password field. */
  verify?: string;
  extra?: string[];
}

/** An OpenVPN server shaped like a provider's (its TLS wrapping, client certificates or not, a user check). */
async function startServer(label: string, link: string, o: ServerShape): Promise<Server> {
  const port = await freePort();
  const ns = await serverNs(label, link, o.proto === 'tcp' ? { tcp: [port] } : { udp: [port] });
  const pki = await makePki(ns.dir);
  const token = `${label}-${Date.now()}`;
  let v2Client: string | null = null;
  const conf = [
    'dev tun', `proto ${o.proto === 'tcp' ? 'tcp-server' : 'udp'}`, `port ${port}`, 'topology subnet', 'server 198.19.8.0 255.255.255.0',
    `ca ${ns.dir}/ca.crt`, `cert ${ns.dir}/server.crt`, `key ${ns.dir}/server.key`, 'dh none',
    'push "dhcp-option DNS 198.19.8.1"', 'push "redirect-gateway def1"',
    'keepalive 2 10', 'verb 3', 'disable-dco', 'duplicate-cn', `tmp-dir ${ns.dir}`,
    ...(o.extra ?? []),
  ];
  if (o.tls === 'tls-auth') conf.push(`tls-auth ${ns.dir}/ta.key 0`);
  if (o.tls === 'tls-crypt') conf.push(`tls-crypt ${ns.dir}/ta.key`);
  if (o.tls === 'tls-crypt-v2') {
    await execa('openvpn', ['--genkey', 'tls-crypt-v2-server', path.join(ns.dir, 'v2.key')]);
    await execa('openvpn', ['--tls-crypt-v2', path.join(ns.dir, 'v2.key'), '--genkey', 'tls-crypt-v2-client', path.join(ns.dir, 'v2-client.key')]);
    v2Client = fs.readFileSync(path.join(ns.dir, 'v2-client.key'), 'utf8');
    conf.push(`tls-crypt-v2 ${ns.dir}/v2.key`);
  }
  if (!o.clientCert) conf.push('verify-client-cert none');
  if (o.verify) {
    const check = path.join(ns.dir, 'check-user.sh');
    fs.writeFileSync(check, o.verify, { mode: 0o700 });
    conf.push('script-security 2', `auth-user-pass-verify ${check} via-file`);
  } else if (o.user) {
    const hash = crypto.createHash('sha256').update(o.user.password).digest('hex');
    const check = path.join(ns.dir, 'check-user.sh');
    fs.writeFileSync(check, `#!/bin/sh\nu=$(sed -n 1p "$1"); p=$(sed -n 2p "$1")\n[ "$u" = "${o.user.name}" ] && [ "$(printf %s "$p" | sha256sum | cut -d' ' -f1)" = "${hash}" ]\n`, { mode: 0o700 });
    conf.push('script-security 2', `auth-user-pass-verify ${check} via-file`);
  }
  fs.writeFileSync(path.join(ns.dir, 'server.conf'), conf.join('\n') + '\n', { mode: 0o600 });
  for (const f of ['server.key', 'ca.key', 'client.key', 'ta.key']) fs.chmodSync(path.join(ns.dir, f), 0o600);
  ns.spawn(['openvpn', '--config', path.join(ns.dir, 'server.conf')], 'openvpn.log');
  await until(() => labLog(ns, 'openvpn.log').includes('Initialization Sequence Completed'), 15_000, `OpenVPN server ${label}: ${labLog(ns, 'openvpn.log').slice(-800)}`);
  ns.spawn([process.execPath, RESPONDER, token, 'x.vpn.test=198.19.8.1'], 'responder.log');
  await until(() => labLog(ns, 'responder.log').includes('responder ready'), 10_000, `responder of ${label}`);
  return { ns, port, pki, token, v2Client, stop: () => ns.stop() };
}

/**
 * The provider's file pointed at the test's server: its first remote line becomes `remote 127.0.0.1
 * PORT` (keeping a protocol the line named) and the others comments, the bodies of its key blocks
 * the test's keys. Every other line is left as the provider wrote it, CRLF line ends included.
 */
function adapt(text: string, s: Server, renames: Record<string, string> = {}): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const bodies: Record<string, string> = { ca: s.pki.ca, cert: s.pki.clientCert, key: s.pki.clientKey, 'tls-auth': s.pki.ta, 'tls-crypt': s.pki.ta, 'tls-crypt-v2': s.v2Client ?? '' };
  const out: string[] = [];
  let block: string | null = null;
  let remoteDone = false;
  for (const line of text.split(/\r?\n/)) {
    if (block) {
      if (line.startsWith(`</${block}>`)) {
        out.push(...bodies[block]!.trim().split('\n'), line);
        block = null;
      }
      continue;
    }
    const open = /^<([a-z0-9-]+)>$/.exec(line);
    if (open && open[1]! in bodies) {
      block = open[1]!;
      out.push(line);
      continue;
    }
    const remote = /^remote\s+\S+(?:\s+\d+)?(?:\s+(\S+))?/.exec(line);
    if (remote) {
      // One remote, the test's server; the others become comments so line numbers stay the fixture's.
      out.push(remoteDone ? '# another remote of the provider' : `remote 127.0.0.1 ${s.port}${remote[1] ? ` ${remote[1]}` : ''}`);
      remoteDone = true;
      continue;
    }
    let l = line;
    for (const [from, to] of Object.entries(renames)) l = l.replace(from, to);
    out.push(l);
  }
  return out.join(eol);
}

describe('VPN files as providers ship them', { timeout: 600_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  const servers: Server[] = [];
  let wgPeer: WgPeer | null = null;

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-providers');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
  });
  after(async () => {
    await e?.cleanup();
    for (const s of servers) await s.stop();
    await wgPeer?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  /** Imports FILE as NAME, sets the secrets, starts it and checks the responder behind the tunnel. */
  async function importAndConnect(file: string, name: string, s: Server, secrets: Record<string, string> = {}): Promise<string> {
    const out = await e.ok(['vpn', 'import', file, '--name', name]);
    for (const [k, v] of Object.entries(secrets)) await e.ok(['secret', 'set', name, k], { input: v });
    await e.ok(['start', name]);
    await waitVpn(e, name, 'connected', 60_000);
    assert.equal(await httpInside(e, name, '198.19.8.1'), s.token);
    await e.ok(['stop', name]);
    return out;
  }

  it('Mullvad OpenVPN (.conf; CA and credentials in files next to it; update-resolv-conf) imports and connects', async () => {
    const user = { name: '1234567890123456', password: 'm' };
    const s = await startServer('mullvad', '198.18.110.2', { proto: 'udp', tls: null, clientCert: false, user });
    servers.push(s);
    const dir = path.join(e.dir, 'mullvad_config_linux_se_sto');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'mullvad_se_sto.conf'), adapt(fs.readFileSync(path.join(FIXTURES, 'mullvad', 'mullvad_se_sto.conf'), 'utf8'), s));
    fs.writeFileSync(path.join(dir, 'mullvad_ca.crt'), s.pki.ca);
    fs.writeFileSync(path.join(dir, 'mullvad_userpass.txt'), `${user.name}\n${user.password}\n`);
    const out = await importAndConnect(path.join(dir, 'mullvad_se_sto.conf'), 'mullvad', s);
    assert.match(out, /read: .*mullvad_userpass\.txt, .*mullvad_ca\.crt/);
    assert.match(out, /dropped: up \(line 20\), down \(line 21\): update-resolv-conf hands the VPN's DNS servers to your computer's resolver; Sandtray writes the sandbox's resolv\.conf itself/);
    assert.match(out, /dropped: script-security \(line 19\): only the DNS helper scripts needed it/);
    assert.match(out, /stored in the keyring: username, password/);
    const stored = fs.readFileSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'mullvad.ovpn'), 'utf8');
    assert.doesNotMatch(stored, /1234567890123456|mullvad_userpass|script-security|update-resolv-conf/);
    assert.match(stored, /^<ca>$/m);
  });

  it('ProtonVPN OpenVPN (tls-crypt, no client certificate, script lines) imports and connects', async () => {
    const user = { name: 'proton-user', password: 'proton pass' };
    const s = await startServer('proton', '198.18.111.2', { proto: 'udp', tls: 'tls-crypt', clientCert: false, user });
    servers.push(s);
    const file = path.join(e.dir, 'se-01.protonvpn.udp.ovpn');
    fs.writeFileSync(file, adapt(fs.readFileSync(path.join(FIXTURES, 'protonvpn', 'se-01.protonvpn.udp.ovpn'), 'utf8'), s));
    const out = await importAndConnect(file, 'proton', s, { username: user.name, password: user.password });
    assert.match(out, /dropped: setenv CLIENT_CERT \(line 29\): a hint for OpenVPN Connect/);
    assert.match(out, /needs a user name and password/);
  });

  it('NordVPN OpenVPN (tls-auth, SHA512, comp-lzo no, verify-x509-name) imports and connects', async () => {
    const user = { name: 'nord@example.test', password: 'nordpass' };
    const s = await startServer('nord', '198.18.112.2', { proto: 'udp', tls: 'tls-auth', clientCert: false, user, extra: ['auth SHA512', 'comp-lzo no'] });
    servers.push(s);
    const file = path.join(e.dir, 'se123.nordvpn.com.udp.ovpn');
    fs.writeFileSync(file, adapt(fs.readFileSync(path.join(FIXTURES, 'nordvpn', 'se123.nordvpn.com.udp.ovpn'), 'utf8'), s, { 'CN=se123.nordvpn.com': 'CN=server' }));
    await importAndConnect(file, 'nord', s, { username: user.name, password: user.password });
  });

  it('AirVPN OpenVPN (client certificate, tls-crypt, UV_IPV6, push-peer-info) imports and connects', async () => {
    const s = await startServer('airvpn', '198.18.113.2', { proto: 'udp', tls: 'tls-crypt', clientCert: true, extra: ['auth SHA512', 'comp-lzo no'] });
    servers.push(s);
    const file = path.join(e.dir, 'AirVPN_SE_Stockholm_UDP-443-Entry3.ovpn');
    fs.writeFileSync(file, adapt(fs.readFileSync(path.join(FIXTURES, 'airvpn', 'AirVPN_SE_Stockholm_UDP-443-Entry3.ovpn'), 'utf8'), s));
    await importAndConnect(file, 'airvpn', s);
    // The client handed the server the user variable, with its peer info.
    assert.match(labLog(s.ns, 'openvpn.log'), /peer info: UV_IPV6=yes/);
  });

  it('an OpenVPN Access Server profile (tls-crypt-v2, setenv opt, Connect hints) imports and connects', async () => {
    const user = { name: 'alice', password: 'alice-pass' };
    const s = await startServer('access', '198.18.114.2', { proto: 'udp', tls: 'tls-crypt-v2', clientCert: true, user, extra: ['tun-mtu 1420'] });
    servers.push(s);
    const file = path.join(e.dir, 'alice@vpn.example.com.ovpn');
    fs.writeFileSync(file, adapt(fs.readFileSync(path.join(FIXTURES, 'access-server', 'alice@vpn.example.com.ovpn'), 'utf8'), s));
    const out = await importAndConnect(file, 'access', s, { username: user.name, password: user.password });
    assert.match(out, /dropped: setenv FORWARD_COMPATIBLE \(line 14\)/);
    assert.match(out, /block-outside-dns \(setenv opt\) \(line 30\): Windows only/);
    // The profile with a one-time code imports and says the code will be asked for.
    const totp = path.join(e.dir, 'alice-totp.ovpn');
    fs.writeFileSync(totp, adapt(fs.readFileSync(path.join(FIXTURES, 'access-server', 'alice-totp@vpn.example.com.ovpn'), 'utf8'), s));
    const imported = await e.ok(['vpn', 'import', totp, '--name', 'access-totp', '--json']);
    const r = JSON.parse(imported) as { verdict: { needs: { challenge?: { text: string; echo: boolean } } }; notes: string[] };
    assert.deepEqual(r.verdict.needs.challenge, { text: 'Enter Authenticator Code', echo: true });
    assert.ok(r.notes.some((n) => /one-time code at every start \("Enter Authenticator Code"\)/.test(n)));
  });

  it('an OpenVPN Access Server profile with a one-time code imports, asks for the code and connects with it', async () => {
    const user = { name: 'alice', password: `totp-${Math.random().toString(36).slice(2)}` };
    const code = String(100000 + Math.floor(Math.random() * 800000));
    // As an Access Server with TOTP checks it: the password field is `SCRV1:<b64 password>:<b64 code>`.
    const verify = [
      '#!/bin/sh',
      'd=$(dirname "$0")',
      'u=$(sed -n 1p "$1"); p=$(sed -n 2p "$1")',
      'case "$p" in SCRV1:*:*) ;; *) echo "no SCRV1 answer" >> "$d/verify.log"; exit 1 ;; esac',
      'rest=${p#SCRV1:}',
      'pw=$(printf %s "${rest%%:*}" | base64 -d); c=$(printf %s "${rest#*:}" | base64 -d)',
      `[ "$u" = "${user.name}" ] && [ "$pw" = "${user.password}" ] || { echo "wrong user or password" >> "$d/verify.log"; exit 1; }`,
      `[ "$c" = "${code}" ] || { echo "wrong code" >> "$d/verify.log"; exit 1; }`,
      'echo "accepted with the code" >> "$d/verify.log"',
      '',
    ].join('\n');
    const s = await startServer('access-totp', '198.18.118.2', { proto: 'udp', tls: 'tls-crypt-v2', clientCert: true, verify, extra: ['tun-mtu 1420'] });
    servers.push(s);
    const file = path.join(e.dir, 'alice-totp@vpn.example.com.ovpn');
    fs.writeFileSync(file, adapt(fs.readFileSync(path.join(FIXTURES, 'access-server', 'alice-totp@vpn.example.com.ovpn'), 'utf8'), s));
    assert.match(fs.readFileSync(file, 'utf8'), /^static-challenge "Enter Authenticator Code" 1$/m);
    const out = await e.ok(['vpn', 'import', file, '--name', 'access-otp']);
    assert.match(out, /one-time code at every start \("Enter Authenticator Code"\)/);
    await e.ok(['secret', 'set', 'access-otp', 'username'], { input: user.name });
    await e.ok(['secret', 'set', 'access-otp', 'password'], { input: user.password });
    const r = await startTyping(e, 'access-otp', 'Enter Authenticator Code', code);
    assert.equal(r.exitCode, 0, r.screen);
    assert.ok(r.screen.includes('Enter Authenticator Code for sandbox access-otp: '), `the code was asked: ${r.screen}`);
    await waitVpn(e, 'access-otp', 'connected', 60_000);
    assert.equal(await httpInside(e, 'access-otp', '198.19.8.1'), s.token);
    // The server saw the password and this code, in OpenVPN's static-challenge answer.
    assert.match(fs.readFileSync(path.join(s.ns.dir, 'verify.log'), 'utf8'), /^accepted with the code$/m);
    await e.ok(['stop', 'access-otp']);
  });

  it('a Windows client file (CRLF, Wintun, block-outside-dns, register-dns) imports and connects', async () => {
    const s = await startServer('windows', '198.18.115.2', { proto: 'udp', tls: 'tls-auth', clientCert: true });
    servers.push(s);
    const file = path.join(e.dir, 'office.ovpn');
    fs.writeFileSync(file, adapt(fs.readFileSync(path.join(FIXTURES, 'windows', 'office.ovpn'), 'utf8'), s));
    assert.match(fs.readFileSync(file, 'utf8'), /\r\n/);
    const out = await importAndConnect(file, 'office', s);
    assert.match(out, /dropped: windows-driver \(line 9\), block-outside-dns \(line 18\), register-dns \(line 19\), route-method \(line 20\), ip-win32 \(line 22\): Windows only/);
  });

  it('<connection> blocks with proto tcp-client connect over TCP', async () => {
    const s = await startServer('connection', '198.18.116.2', { proto: 'tcp', tls: null, clientCert: true });
    servers.push(s);
    const text = fs.readFileSync(path.join(FIXTURES, 'attacks', 'connection-tcp-client.ovpn'), 'utf8')
      .replace('remote vpn.example.net 443', `remote 127.0.0.1 ${s.port}`)
      .replace(/<connection>\nremote vpn\.example\.net 1194 udp\nexplicit-exit-notify 2\n<\/connection>\n/, '')
      .replace(/<ca>[^]*<\/ca>/, `<ca>\n${s.pki.ca.trim()}\n</ca>\n<cert>\n${s.pki.clientCert.trim()}\n</cert>\n<key>\n${s.pki.clientKey.trim()}\n</key>`);
    const file = path.join(e.dir, 'blocks.ovpn');
    fs.writeFileSync(file, text);
    await importAndConnect(file, 'blocks', s);
    const stored = fs.readFileSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'blocks.ovpn'), 'utf8');
    assert.match(stored, /<connection>\nremote 127\.0\.0\.1 \d+\nproto tcp-client\nconnect-timeout 5\n<\/connection>/);
  });

  for (const [shape, fixture] of [['Mullvad', 'se-sto-wg-001.conf'], ['Proton', 'wg-SE-7.conf']] as const) {
    it(`WireGuard in ${shape}'s shape imports and connects`, async () => {
      const token = `wg-${shape}-${Date.now()}`;
      wgPeer ??= await startWgPeer('providers-wg', '198.18.117.2', { subnet: '198.19.9', token, dnsName: 'x.vpn.test' });
      const peer = wgPeer;
      const get = (k: string) => new RegExp(`^${k} = (.*)$`, 'm').exec(peer.clientConfig)![1]!;
      const text = fs.readFileSync(path.join(FIXTURES, 'wireguard', fixture), 'utf8')
        .replace(/^PrivateKey = .*$/m, `PrivateKey = ${get('PrivateKey')}`)
        .replace(/^PublicKey = .*$/m, `PublicKey = ${get('PublicKey')}`)
        .replace(/^Endpoint = .*$/m, `Endpoint = ${get('Endpoint')}`)
        .replace(/^Address = [\d.]+\/32/m, 'Address = 198.19.9.2/32')
        .replace(/^DNS = .*$/m, 'DNS = 198.19.9.1');
      const name = `wg-${shape.toLowerCase()}`;
      const file = path.join(e.dir, fixture);
      fs.writeFileSync(file, text, { mode: 0o600 });
      const out = await e.ok(['vpn', 'import', file, '--name', name]);
      if (shape === 'Mullvad') assert.match(out, /dropped: PostUp \(line 6\), PreDown \(line 7\): a kill switch for your computer's firewall .*the sandbox is a kill switch by construction/);
      assert.match(out, /stored in the keyring: private-key/);
      await e.ok(['start', name]);
      // Without PersistentKeepalive WireGuard shakes hands only when there is traffic: send some.
      let last = '';
      await until(async () => {
        last = await httpInside(e, name, '198.19.9.1', 2000);
        return /^wg-/.test(last);
      }, 30_000, `the peer's responder through ${name} (last: ${last})`);
      await waitVpn(e, name, 'connected', 30_000);
      await e.ok(['stop', name]);
    });
  }

  it('files built to get past the importer are refused, and nothing is created', async () => {
    const before = await e.ok(['list', '--json']);
    const vpnDir = path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn');
    const stored = fs.existsSync(vpnDir) ? fs.readdirSync(vpnDir).sort() : [];
    for (const [f, what] of [
      ['setenv-opt-plugin.ovpn', /"plugin \(setenv opt\)" at line 17: loads a plugin/],
      ['setenv-opt-config.ovpn', /"config \(setenv opt\)" at line 17/],
      ['setenv-opt-log-append.ovpn', /"log-append \(setenv opt\)" at line 17: writes a file/],
      ['providers.ovpn', /"providers" at line 17/],
      ['pkcs11-providers.ovpn', /"pkcs11-providers" at line 17/],
      ['ca-prefix-close.ovpn', /"plugin" at line 14/],
    ] as const) {
      const r = await e.run(['vpn', 'import', path.join(FIXTURES, 'attacks', f)]);
      assert.equal(r.exitCode, 1, f);
      assert.match(r.stderr, what, f);
    }
    // auth-user-pass pointing out of the folder, to a file that exists: refused, never read.
    const dir = path.join(e.dir, 'Downloads', 'work');
    fs.mkdirSync(dir, { recursive: true });
    fs.mkdirSync(path.join(e.dir, '.aws'));
    fs.writeFileSync(path.join(e.dir, '.aws', 'credentials'), 'AKIAEXAMPLE\nnot-a-secret\n');
    fs.copyFileSync(path.join(FIXTURES, 'attacks', 'auth-user-pass-escape.ovpn'), path.join(dir, 'work.ovpn'));
    const r = await e.run(['vpn', 'import', path.join(dir, 'work.ovpn')]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /"auth-user-pass" at line 17: names \.\.\/\.\.\/\.aws\/credentials, which is .*\.aws\/credentials, outside the configuration's folder .*copy it next to the configuration/);
    assert.equal(await e.ok(['list', '--json']), before);
    assert.deepEqual(fs.existsSync(vpnDir) ? fs.readdirSync(vpnDir).sort() : [], stored);
  });
});
