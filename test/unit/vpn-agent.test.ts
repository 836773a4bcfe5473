// The VPN agent (Perl, helpers/vpn/agent.ts) fed lines through its selftest entry: what it sends
// to OpenVPN's management socket, logs and records, for management lines, the client's output and
// WireGuard readings. The real agent is the same script; only its input and output differ.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { agentArgv, agentInput, type AgentSpec } from '../../helpers/vpn/agent.js';

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

interface Run {
  sent: string[];
  logs: string[];
  statuses: { state: string; message: string | null; since: string; endpoint: string | null; [k: string]: unknown }[];
  bringups: { spec: unknown; replies: string[] }[];
  last: () => Run['statuses'][number];
}

function spec(type: 'openvpn' | 'wireguard', secrets: Record<string, string> = {}): AgentSpec {
  const base = {
    name: 'office', type, init: { pid: 1, start: 1 }, client: { pid: 2, start: 2, what: type === 'openvpn' ? 'openvpn' : 'wireguard-go' },
    helpers: [], runtimeDir: '/nonexistent', logFile: '/nonexistent/log', dev: type === 'openvpn' ? 'tun0' : 'wg0', gateway: '198.19.255.1',
  };
  return type === 'openvpn'
    ? { ...base, openvpn: { socket: '/nonexistent/sock', secrets, bringUp: { argv: ['/bin/false'], env: {}, spec: '{"name":"office"}' } } }
    : { ...base, wireguard: { status: { addresses: '["198.19.9.2/24"]', routes: '["0.0.0.0/0"]', dns: '[]', domains: '[]', mtu: '1420', endpoint: '"127.0.0.1:51820"' }, handshakes: ['/bin/false'], transfer: ['/bin/false'] } };
}

/** Runs the agent's selftest: the spec, then events (`mgmt LINE`, `out LINE`, `eof`, `wg NOW LATEST SENT`). */
function run(s: AgentSpec, events: string[]): Run {
  const input = agentInput(s) + '--\n' + events.map((e) => {
    const [k, ...rest] = e.split(' ');
    return k === 'mgmt' || k === 'out' || k === 'mgmtdata' ? `${k} ${hex(rest.join(' '))}` : e;
  }).join('\n') + '\n';
  const r = spawnSync(agentArgv('perl', true)[0]!, agentArgv('perl', true).slice(1), { input, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out: Run = { sent: [], logs: [], statuses: [], bringups: [], last: () => out.statuses.at(-1)! };
  for (const line of r.stdout.split('\n')) {
    const sp = line.indexOf(' ');
    const [k, v] = [line.slice(0, sp), line.slice(sp + 1)];
    if (k === 'send') out.sent.push(v);
    else if (k === 'log') out.logs.push(v);
    else if (k === 'status') out.statuses.push(JSON.parse(v));
    else if (k === 'bringup') out.bringups.push(JSON.parse(v));
  }
  return out;
}

const CREDS = { username: 'acct123456', password: 'pa"ss\\word' };

test('hold released; user name and password answered quoted; a refused secret is never sent again', () => {
  const r = run(spec('openvpn', CREDS), [
    'mgmt >HOLD:Waiting for hold release:0',
    "mgmt >PASSWORD:Need 'Auth' username/password",
    "mgmt >PASSWORD:Verification Failed: 'Auth'",
    "mgmt >PASSWORD:Need 'Auth' username/password",
  ]);
  assert.deepEqual(r.sent, ['hold release', 'username "Auth" "acct123456"', 'password "Auth" "pa\\"ss\\\\word"', 'signal SIGTERM']);
  assert.equal(r.last().state, 'failed');
  assert.equal(r.last().message, 'authentication failed: the server refused the user name or password; fix it with `sandtray secret set office password`, then restart the sandbox');
  assert.ok(r.logs.every((l) => !l.includes('acct123456') && !l.includes('pa"ss')));
});

test('nothing stored: failed with the command that stores it; a passphrase for the key', () => {
  const r = run(spec('openvpn', {}), ["mgmt >PASSWORD:Need 'Auth' username/password"]);
  assert.deepEqual(r.sent, ['signal SIGTERM']);
  assert.equal(r.last().message, 'OpenVPN asked for a user name and password, and none is stored; store it with `sandtray secret set office password`');
  const k = run(spec('openvpn', { 'key-passphrase': 'sesame-open' }), ["mgmt >PASSWORD:Need 'Private Key' password", "mgmt >PASSWORD:Verification Failed: 'Private Key'"]);
  assert.deepEqual(k.sent, ['password "Private Key" "sesame-open"']);
  assert.equal(k.last().message, 'the private key passphrase is wrong; fix it with `sandtray secret set office key-passphrase`, then restart the sandbox');
  const f = run(spec('openvpn', {}), ['mgmt >FATAL:Private key password verification failed']);
  assert.match(f.last().message!, /^the private key passphrase is wrong; fix it with `sandtray secret set office key-passphrase`/);
});

test('a static challenge: the one-time code is sent once (SCRV1 or concatenated), never again', () => {
  const r = run(spec('openvpn', { username: 'bob', password: 'bar', 'one-time-code': '8675309' }), [
    "mgmt >PASSWORD:Need 'Auth' username/password SC:1,Enter code, please",
    "mgmt >PASSWORD:Need 'Auth' username/password SC:1,Enter code, please",
  ]);
  assert.deepEqual(r.sent, ['username "Auth" "bob"', 'password "Auth" "SCRV1:YmFy:ODY3NTMwOQ=="', 'signal SIGTERM']);
  assert.match(r.last().message!, /^the server asked for the one-time code again \(a reconnect\), and the code given at start was already used; restart the sandbox \(`sandtray restart office`\)/);
  const c = run(spec('openvpn', { username: 'bob', password: 'bar', 'one-time-code': '123' }), ["mgmt >PASSWORD:Need 'Auth' username/password SC:3,PIN"]);
  assert.deepEqual(c.sent, ['username "Auth" "bob"', 'password "Auth" "bar123"']);
  const none = run(spec('openvpn', { username: 'bob', password: 'bar' }), ["mgmt >PASSWORD:Need 'Auth' username/password SC:0,Your PIN"]);
  assert.equal(none.last().message, 'the server asks for a one-time code ("Your PIN") and none was given; restart the sandbox (`sandtray restart office`) and enter the code');
  // base64 of every length (0, 1 and 2 bytes of padding), and of bytes beyond ASCII.
  const b = run(spec('openvpn', { username: 'u', password: 'ab', 'one-time-code': 'é€1' }), ["mgmt >PASSWORD:Need 'Auth' username/password SC:0,x"]);
  assert.equal(b.sent[1], `password "Auth" "SCRV1:${Buffer.from('ab').toString('base64')}:${Buffer.from('é€1').toString('base64')}"`);
  const refused = run(spec('openvpn', { username: 'bob', password: 'bar', 'one-time-code': '8675309' }), [
    "mgmt >PASSWORD:Need 'Auth' username/password SC:1,code", "mgmt >PASSWORD:Verification Failed: 'Auth'"]);
  assert.equal(refused.last().message, 'authentication failed: the server refused the user name, password or one-time code; check the user name and password (`sandtray secret set office password`), then restart the sandbox and enter a new code');
});

test('a secret with a line break is refused, not sent', () => {
  const r = run(spec('openvpn', { username: 'bob', password: 'two\rlines' }), ["mgmt >PASSWORD:Need 'Auth' username/password"]);
  assert.deepEqual(r.sent, ['signal SIGTERM']);
  assert.equal(r.last().state, 'failed');
});

test('dynamic challenges and web logins are named as not supported', () => {
  const crv1 = run(spec('openvpn', CREDS), [">PASSWORD:Verification Failed: 'Auth' ['CRV1:R,E:Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l:Y3Ix:Please enter token PIN']"].map((l) => `mgmt ${l}`));
  assert.equal(crv1.last().message, 'the server asks a second question after the password (a dynamic challenge), which Sandtray does not support yet; this VPN cannot be used with Sandtray for now');
  const old = run(spec('openvpn', CREDS), ["mgmt >PASSWORD:Verification Failed: ['CR_TEXT:E,R:Enter PIN']"]);
  assert.match(old.last().message!, /dynamic challenge/);
  const web = run(spec('openvpn', CREDS), ['mgmt >INFOMSG:WEB_AUTH::https://vpn.example/login']);
  assert.deepEqual(web.sent, ['signal SIGTERM']);
  assert.equal(web.last().message, 'the server asks for a login in a web browser, which Sandtray does not support yet; this VPN cannot be used with Sandtray for now');
  const other = run(spec('openvpn', CREDS), ['mgmt >INFOMSG:some other message']);
  assert.deepEqual(other.sent, []);
  const said = run(spec('openvpn', CREDS), ["mgmt >PASSWORD:Verification Failed: 'Auth' ['no such user acct123456']"]);
  assert.match(said.last().message!, /\(the server said: no such user \[hidden\]\)/);
});

test('pushed options (a reply in parts) go to the bring-up step; the endpoint shows the host loopback as 127.0.0.1', () => {
  const r = run(spec('openvpn', CREDS), [
    "mgmt >LOG:1795322965,,PUSH: Received control message: 'PUSH_REPLY,route 198.19.41.0 255.255.255.0,push-continuation 2'",
    "mgmt >LOG:1795322965,,PUSH: Received control message: 'PUSH_REPLY,ifconfig 198.19.8.2 255.255.255.0,push-continuation 1'",
    'mgmt >STATE:1795322965,CONNECTED,SUCCESS,198.19.8.2,198.19.255.1,11940,198.19.255.2,56502',
    "mgmt >LOG:1795322966,,PUSH: Received control message: 'PUSH_REPLY,ifconfig 198.19.8.3 255.255.255.0'",
    'mgmt >STATE:1795322966,CONNECTED,SUCCESS,198.19.8.3,2001:db8::1,1194,,',
  ]);
  assert.deepEqual(r.bringups.map((b) => b.replies), [
    ['PUSH_REPLY,route 198.19.41.0 255.255.255.0,push-continuation 2', 'PUSH_REPLY,ifconfig 198.19.8.2 255.255.255.0,push-continuation 1'],
    ['PUSH_REPLY,ifconfig 198.19.8.3 255.255.255.0'],
  ]);
  assert.deepEqual(r.bringups[0]!.spec, { name: 'office' });
  assert.equal(r.statuses.find((s) => s.state === 'connected')!.endpoint, '127.0.0.1:11940');
  assert.equal(r.last().endpoint, '[2001:db8::1]:1194');
});

test('OpenVPN retries: "lost the connection" only after a connection; states while reconnecting', () => {
  const state = (name: string, detail = '') => `mgmt >STATE:1795322965,${name},${detail},,,,,`;
  const r = run(spec('openvpn', CREDS), [state('RECONNECTING', 'connection-failed'), state('RECONNECTING', 'server_poll'), state('RECONNECTING', ''), state('CONNECTED', 'SUCCESS'), state('RECONNECTING', 'ping-restart'), state('CONNECTED', 'SUCCESS'), state('WAIT'), state('RECONNECTING', 'odd-reason'), state('EXITING', 'SIGTERM')]);
  assert.deepEqual(r.statuses.map((s) => [s.state, s.message]), [
    ['connecting', 'could not connect to the server; trying again'],
    ['connecting', 'no answer from the server; trying again'],
    ['connecting', 'trying again'],
    ['connected', null],
    ['reconnecting', 'lost the connection: the server stopped answering; trying again'],
    ['connected', null],
    ['reconnecting', null],
    ['reconnecting', 'lost the connection: OpenVPN: odd-reason; trying again'],
    ['failed', 'the OpenVPN client stopped (SIGTERM)'],
  ]);
  // One log line per change, none for a status written again unchanged.
  assert.equal(r.logs.filter((l) => l.startsWith('vpn: ')).length, 9);
});

test("the client's output: management echoes and secrets never reach the log; an options error is why it stopped", () => {
  const r = run(spec('openvpn', CREDS), [
    `out MANAGEMENT: CMD 'username "Auth" "acct123456"'`,
    "out MANAGEMENT: CMD 'password [...]'",
    'out AUTH: user acct123456 refused\r',
    'out TLS: ok',
    `out ${'x'.repeat(5000)}`,
    'out    ',
    'out Options error: unknown tls-version-min parameter: 9.9',
    'out Use --help for more information.',
    'eof',
  ]);
  assert.deepEqual(r.logs.slice(0, 3), ['openvpn: AUTH: user [hidden] refused', 'openvpn: TLS: ok', `openvpn: ${'x'.repeat(4096)}...`]);
  assert.ok(!r.logs.some((l) => l.includes('MANAGEMENT')));
  assert.equal(r.last().message, 'OpenVPN refused the configuration: Options error: unknown tls-version-min parameter: 9.9');
  // A pushed option OpenVPN only warns about is not why it stopped.
  const w = run(spec('openvpn', CREDS), ['out Options error: option X cannot be used in this context', 'out Initialization Sequence Completed', 'eof']);
  assert.equal(w.last().message, 'the OpenVPN client exited; see `sandtray log`');
});

test('the status file is valid JSON whatever the messages hold', () => {
  const r = run(spec('openvpn', CREDS), ['mgmt >FATAL:odd "quote" \\ back\ttab \u0001 ctl é']);
  assert.equal(r.last().message, 'odd "quote" \\ back\ttab \u0001 ctl é');
  assert.deepEqual(Object.keys(r.last()), ['type', 'state', 'since', 'message', 'device', 'addresses', 'routes', 'dns', 'domains', 'endpoint', 'mtu']);
  assert.match(r.last().since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('WireGuard states: idle is not reconnecting, and no message counts seconds', () => {
  const t = 1_800_000_000;
  const r = run(spec('wireguard'), [
    `wg ${t} 0 0`,
    `wg ${t} ${t - 100} 500`,
    // Past 180 s with nothing sent: idle, still connected; the message is the same a minute later.
    `wg ${t} ${t - 200} 500`,
    `wg ${t + 60} ${t - 200} 500`,
    // Something was sent and no handshake followed: reconnecting, and it stays so until one does.
    `wg ${t + 65} ${t - 200} 648`,
    `wg ${t + 90} ${t - 200} 648`,
    `wg ${t + 95} ${t + 94} 800`,
    `wg ${t + 96} 0 800`,
  ]);
  const s = r.statuses.map((x) => [x.state, x.message]);
  assert.deepEqual(s[0], ['connecting', 'waiting for the first handshake with the peer']);
  assert.deepEqual(s[1], ['connected', null]);
  assert.equal(s[2]![0], 'connected');
  assert.equal(s[2]![1], `idle since ${new Date((t - 200) * 1000).toISOString()}: WireGuard shakes hands again when there is traffic`);
  assert.deepEqual(s[3], s[2]);
  assert.deepEqual(s[4], ['reconnecting', `no answer from the peer since ${new Date((t - 200) * 1000).toISOString()}`]);
  assert.deepEqual(s[5], s[4]);
  assert.deepEqual(s[6], ['connected', null]);
  assert.deepEqual(s[7], ['reconnecting', 'no handshake with the peer']);
  assert.equal(r.logs.length, 6, 'one log line per change');
  // The settings known at start are in the status.
  assert.deepEqual([r.last().addresses, r.last().endpoint, r.last().mtu], [['198.19.9.2/24'], '127.0.0.1:51820', 1420]);
});

test("secrets arrive on stdin, any bytes, never in the agent's argv", () => {
  const s = spec('openvpn', { username: 'a=b c', password: 'p\u00e9 "x"' });
  const argv = agentArgv('perl');
  assert.ok(!argv.join(' ').includes('a=b c'));
  const input = agentInput(s);
  assert.ok(!input.includes('a=b c') && /^[a-z.-]+ [0-9a-f]*$/m.test(input));
  const r = run(s, ["mgmt >PASSWORD:Need 'Auth' username/password"]);
  assert.deepEqual(r.sent, ['username "Auth" "a=b c"', 'password "Auth" "p\u00e9 \\"x\\""']);
});

test('the real agent writes its status by a new file renamed into place: never through a planted link, never in a folder others can write', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-agent-'));
  try {
    // pid 1 and the client are gone (no such pid): the agent records its first status, sees the
    // sandbox gone and exits.
    const gone = { pid: 4194303, start: 1 };
    const once = (runtimeDir: string, logFile: string): void => {
      const s: AgentSpec = { ...spec('wireguard'), init: gone, client: { ...gone, what: 'wireguard-go' }, runtimeDir, logFile };
      const r = spawnSync('perl', agentArgv('perl').slice(1), { input: agentInput(s), encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
    };
    const run = path.join(d, 'run');
    fs.mkdirSync(run, { mode: 0o700 });
    const canary = path.join(d, 'canary');
    fs.writeFileSync(canary, 'precious');
    // The control: a file written by its name goes through a link planted there.
    fs.symlinkSync(canary, path.join(run, 'ctl.json'));
    fs.writeFileSync(path.join(run, 'ctl.json'), '{}');
    assert.equal(fs.readFileSync(canary, 'utf8'), '{}');
    fs.writeFileSync(canary, 'precious');
    fs.rmSync(path.join(run, 'ctl.json'));

    fs.symlinkSync(canary, path.join(run, 'vpn.json'));
    once(run, path.join(d, 'log'));
    assert.equal(fs.readFileSync(canary, 'utf8'), 'precious', 'the file the link named is untouched');
    const st = fs.lstatSync(path.join(run, 'vpn.json'));
    assert.ok(st.isFile() && !st.isSymbolicLink());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'vpn.json'), 'utf8')).device, 'wg0', 'the agent ran and wrote its status');
    assert.deepEqual(fs.readdirSync(run), ['vpn.json'], 'no temporary file left');

    // A folder others can write: nothing is written in it, and the log says why.
    const open = path.join(d, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    once(open, path.join(d, 'log'));
    assert.deepEqual(fs.readdirSync(open), []);
    assert.match(fs.readFileSync(path.join(d, 'log'), 'utf8'), /not writing the tunnel status: .* is writable by others/);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('management input in pieces: lines are joined; one longer than 1 MiB is dropped to its end, with the agent still answering', () => {
  const hold = '>HOLD:Waiting for hold release:0';
  // A line in two reads is one line.
  const split = run(spec('openvpn', {}), [`mgmtdata ${hold.slice(0, 10)}`, `mgmtdata ${hold.slice(10)}\n`]);
  assert.deepEqual(split.sent, ['hold release']);
  // A line that never ends within 1 MiB: dropped, said once, and the lines after it are read.
  const big = 'x'.repeat(256 * 1024);
  const flood = run(spec('openvpn', {}), [
    `mgmtdata >HOLD:${big}`, `mgmtdata ${big}`, `mgmtdata ${big}`, `mgmtdata ${big}`, `mgmtdata ${big}`, `mgmtdata ${big}`,
    `mgmtdata ${big}\n${hold}\n`,
  ]);
  assert.deepEqual(flood.sent, ['hold release'], 'the long line gets no answer, the next one does');
  assert.equal(flood.logs.filter((l) => /more than 1 MiB/.test(l)).length, 1);
  // Control: the same long line under the limit is read as a line (and answered as one).
  const under = run(spec('openvpn', {}), [`mgmtdata ${hold}${'x'.repeat(1000)}\n`]);
  assert.deepEqual(under.sent, ['hold release']);
});
