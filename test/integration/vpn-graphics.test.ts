// A graphical app in a VPN sandbox (WireGuard, with a real wireguard-go peer): its window shows on
// the X server through the socket path, and its network is the tunnel and nothing else: it reaches
// the peer's server, not the host's loopback, and not the X server's abstract socket.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startWgPeer, stopAllLab, until, type WgPeer } from '../lib/vpn-lab.js';
import { waitVpn } from '../lib/vpn-wait.js';

const ABSTRACT_CONNECT = 'use Socket; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; print connect($s, pack_sockaddr_un("\\0/tmp/.X11-unix/X$ARGV[0]")) ? "connected\\n" : "refused: $!\\n"';

/** What the app does before it opens its window: one fetch through the tunnel, one to the host's loopback. */
const PROBE = (peer: string, loopPort: number) => [
  'tunnel=$(node -e "fetch(\'http://' + peer + ':8080/\',{signal:AbortSignal.timeout(5000)}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>process.stdout.write(\'ERR \'+(e.cause?.code||e.name)))")',
  'loop=$(node -e "const s=require(\'net\').connect({host:\'127.0.0.1\',port:' + loopPort + ',timeout:2000});s.on(\'connect\',()=>{process.stdout.write(\'connected\');s.destroy()});s.on(\'error\',e=>process.stdout.write(e.code));s.on(\'timeout\',()=>{process.stdout.write(\'timeout\');s.destroy()})")',
  'echo "probe tunnel=$tunnel loopback=$loop"',
  'msg=$(printf "A window from the sandbox office (WireGuard)\\n\\nThe VPN server answered: %s\\nA service on the host\'s loopback: %s" "$tunnel" "$loop")',
  'exec xmessage -title "$1" -timeout 60 "$msg"',
  '',
].join('\n');

function freeDisplay(): number {
  for (let n = 120; n < 400; n++) if (!fs.existsSync(`/tmp/.X11-unix/X${n}`) && !fs.existsSync(`/tmp/.X${n}-lock`)) return n;
  throw new Error('no free X display number');
}

describe('a graphical app in a VPN sandbox', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let peer: WgPeer;
  let xvfb: ResultPromise;
  let loop: net.Server;
  let loopPort = 0;
  let dir = '';
  let display = 0;
  let xauth = '';
  const token = `vpn-ok-${process.pid}`;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-vpngfx-'));
    display = freeDisplay();
    xauth = path.join(dir, 'Xauthority');
    const cookie = String((await execa('mcookie')).stdout).trim();
    await execa('xauth', ['-q', '-f', xauth, 'add', `:${display}`, '.', cookie]);
    xvfb = execa('Xvfb', [`:${display}`, '-auth', xauth, '-nolisten', 'tcp', '-screen', '0', '640x480x24'], { reject: false, cleanup: true, stdio: 'ignore' });
    await until(() => fs.existsSync(`/tmp/.X11-unix/X${display}`), 20_000, 'the X server');
    // A service on the host's loopback: the app must not reach it.
    loop = net.createServer((c) => c.end('host-loopback\n'));
    await new Promise<void>((r) => loop.listen(0, '127.0.0.1', r));
    loopPort = (loop.address() as net.AddressInfo).port;
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-gfx');
    Object.assign(e.env, { DBUS_SESSION_BUS_ADDRESS: keyring.address, DISPLAY: `:${display}`, XAUTHORITY: xauth });
    peer = await startWgPeer('wggfx', '198.18.22.2', { subnet: '198.19.12', token, dnsName: 'gfx.vpn.test' });
  });
  after(async () => {
    await e?.cleanup();
    await peer?.stop();
    await stopAllLab();
    await keyring?.stop();
    loop?.close();
    xvfb?.kill('SIGTERM');
    await xvfb?.catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows its window and reaches the peer through the tunnel, never the host', { timeout: 180_000 }, async () => {
    // The positive controls: on the host the loopback service and the abstract socket answer.
    const hostLoop = await new Promise<string>((resolve) => {
      const s = net.connect(loopPort, '127.0.0.1');
      s.on('data', (d) => { resolve(d.toString().trim()); s.destroy(); });
      s.on('error', (err) => resolve(err.message));
    });
    assert.equal(hostLoop, 'host-loopback');
    assert.equal(String((await execa('perl', ['-e', ABSTRACT_CONNECT, String(display)])).stdout).trim(), 'connected');

    const file = path.join(e.dir, 'office.conf');
    fs.writeFileSync(file, peer.clientConfig, { mode: 0o600 });
    await e.ok(['vpn', 'import', file, '--name', 'office']);
    // The walkthrough's step: the imported profile gets a display and an app.
    const profile = path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'profiles', 'office.sandtray');
    const title = `sandtray-vpn-app-${process.pid}`;
    fs.appendFileSync(profile, `\ndisplay: {x11: true}\napps:\n  - {name: probe, title: Probe, command: [sh, /root/probe.sh, ${title}]}\n`);
    const home = path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'office', 'home');
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home, 'probe.sh'), PROBE('198.19.12.1', loopPort));

    await e.ok(['start', 'office']);
    await waitVpn(e, 'office', 'connected');
    const opened = await e.run(['open', 'office', 'probe']);
    assert.equal(opened.exitCode, 0, opened.stderr);
    // The app's window is on the X server...
    await until(async () => String((await execa('xwininfo', ['-root', '-tree', '-display', `:${display}`], { env: { XAUTHORITY: xauth }, reject: false })).stdout).includes(title), 60_000, 'the app window');
    // ...and what it reached, as it printed before opening it: the peer, not the host's loopback.
    let log = '';
    await until(async () => /probe tunnel=/.test((log = (await e.run(['log', 'office'])).stdout)), 30_000, 'the probe output');
    const m = /probe tunnel=(\S*) loopback=(\S*)/.exec(log)!;
    assert.equal(m[1], token, 'reached the server through the tunnel');
    assert.notEqual(m[2], 'connected', 'the host loopback service is out of reach');
    // The X server's abstract socket is out of reach too; the socket path works (xdpyinfo).
    assert.match((await e.ok(['exec', 'office', '--', 'perl', '-e', ABSTRACT_CONNECT, String(display)])).trim(), /^refused: /);
    assert.match(await e.ok(['exec', 'office', '--', 'xdpyinfo']), new RegExp(`name of display:\\s+:${display}`));
    // Only the tunnel and lo inside.
    const links = await e.ok(['exec', 'office', '--', 'ip', '-o', 'link']);
    assert.deepEqual(links.trim().split('\n').map((l) => l.split(':')[1]!.trim()).sort(), ['lo', 'wg0']);
    // A picture of the app's window, kept next to the test output for a person to look at.
    const shot = await execa('xwd', ['-name', title, '-silent', '-display', `:${display}`], { env: { XAUTHORITY: xauth }, encoding: 'buffer', reject: false });
    assert.equal(shot.exitCode, 0);
    fs.mkdirSync(path.join(process.cwd(), 'test-output'), { recursive: true });
    fs.writeFileSync(path.join(process.cwd(), 'test-output', 'vpn-graphics-window.xwd'), shot.stdout as Uint8Array);
    await e.ok(['exec', 'office', '--', 'sh', '-c', 'pkill -x xmessage || true']);
    await e.ok(['stop', 'office']);
  });
});
