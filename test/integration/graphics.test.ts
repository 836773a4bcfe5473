// Graphical apps and sound, with real servers started here: Xvfb with a cookie, Weston's headless
// backend, a user-mode PulseAudio with a null sink. A sandbox that asks reaches each one; one that
// does not ask reaches none, even with DISPLAY, WAYLAND_DISPLAY and PULSE_SERVER set by hand.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';
import { waylandGlobals } from '../../helpers/runtime/wayland-globals.js';

/** Waits, a bounded number of times, until check() holds. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const isSocket = (p: string): boolean => {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
};

/** A display number with neither a socket nor a lock file. */
function freeDisplay(): number {
  for (let n = 90; n < 400; n++) {
    if (!fs.existsSync(`/tmp/.X11-unix/X${n}`) && !fs.existsSync(`/tmp/.X${n}-lock`)) return n;
  }
  throw new Error('no free X display number');
}

/** Connects to the abstract socket @/tmp/.X11-unix/XN (perl-base, in every sandbox's /usr). */
const ABSTRACT_CONNECT = 'use Socket; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; print connect($s, pack_sockaddr_un("\\0/tmp/.X11-unix/X$ARGV[0]")) ? "connected\\n" : "refused: $!\\n"';

const servers: ResultPromise[] = [];
let dir = '';
let display = 0;
let xauth = '';
let wayland = '';
let pulse = '';
let e: Env;
let envGfx: Record<string, string> = {};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-gfx-'));
  fs.chmodSync(dir, 0o700);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  display = freeDisplay();
  xauth = path.join(dir, 'Xauthority');
  const cookie = (await execa('mcookie')).stdout.trim();
  await execa('xauth', ['-q', '-f', xauth, 'add', `:${display}`, '.', cookie], { reject: false });
  assert.ok(fs.statSync(xauth).size > 0, 'xauth wrote the cookie');
  const spawn = (cmd: string, args: string[], env: Record<string, string> = {}) => {
    const p = execa(cmd, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: dir, ...env }, extendEnv: false, reject: false, stdio: ['ignore', 'ignore', 'pipe'], cleanup: true });
    servers.push(p);
    return p;
  };
  spawn('Xvfb', [`:${display}`, '-auth', xauth, '-nolisten', 'tcp', '-screen', '0', '640x480x24']);
  spawn('weston', ['--backend=headless-backend.so', '--socket=wl-sandtray', '--idle-time=0']);
  pulse = path.join(dir, 'pulse-native');
  spawn('pulseaudio', ['--daemonize=no', '-n', '--use-pid-file=no', '--exit-idle-time=-1', '--disable-shm=yes',
    `--load=module-native-protocol-unix socket=${pulse}`, '--load=module-null-sink sink_name=sandtray_null']);
  wayland = path.join(dir, 'wl-sandtray');
  await until('the X server', () => isSocket(`/tmp/.X11-unix/X${display}`));
  await until('the compositor', () => isSocket(wayland));
  await until('the sound server', () => isSocket(pulse));
  // Each answers on the host (the positive controls).
  await until('xdpyinfo on the host', async () => (await execa('xdpyinfo', ['-display', `:${display}`], { env: { XAUTHORITY: xauth }, reject: false })).exitCode === 0);
  await until('pactl on the host', async () => (await execa('pactl', ['info'], { env: { PULSE_SERVER: `unix:${pulse}`, HOME: home }, reject: false })).exitCode === 0);
  e = sandtrayEnv('gfx');
  // The session the sandbox's owner runs in: what `sandtray` finds in its environment.
  envGfx = { ...e.env, DISPLAY: `:${display}`, XAUTHORITY: xauth, WAYLAND_DISPLAY: wayland, PULSE_SERVER: `unix:${pulse}` };
});

after(async () => {
  await e?.cleanup();
  for (const s of servers) s.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.catch(() => undefined)));
  fs.rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], opts: Parameters<Env['run']>[1] = {}) => e.run(args, { env: envGfx, ...opts });

describe('graphics', { timeout: 300_000 }, () => {
  test('a sandbox that asks reaches the X server, the compositor and the sound server', { timeout: 90_000 }, async () => {
    const prof = writeProfile(e, 'gfx', 'apiVersion: sandtray/v1\ndisplay: {wayland: true, x11: true}\naudio: true\nnetwork: {mode: none}\n');
    const launched = await run(['launch', 'gfx', '--profile', prof]);
    assert.equal(launched.exitCode, 0, launched.stderr);
    // create names the grants as risks.
    assert.match(launched.stderr, /warning: display\.x11: X11 programs can read and type into every window/);
    assert.match(launched.stderr, /warning: display\.wayland: .*no per-sandbox security context/);
    assert.match(launched.stderr, /warning: audio: /);
    const env = await run(['exec', 'gfx', '--', 'sh', '-c', 'echo "$DISPLAY $WAYLAND_DISPLAY $PULSE_SERVER $XDG_RUNTIME_DIR $XAUTHORITY"']);
    assert.equal(env.stdout.trim(), `:${display} wayland-0 unix:/run/user/0/pulse/native /run/user/0 /run/user/0/Xauthority`);
    const x = await run(['exec', 'gfx', '--', 'xdpyinfo']);
    assert.equal(x.exitCode, 0, x.stderr);
    assert.match(x.stdout, new RegExp(`name of display:\\s+:${display}`));
    const wl = await run(['exec', 'gfx', '--', 'wayland-info']);
    assert.equal(wl.exitCode, 0, wl.stderr);
    assert.match(wl.stdout, /wl_compositor/);
    const pa = await run(['exec', 'gfx', '--', 'pactl', 'info']);
    assert.equal(pa.exitCode, 0, pa.stderr);
    assert.match(pa.stdout, /Server String: unix:\/run\/user\/0\/pulse\/native/);
    assert.match(pa.stdout, /Default Sink: sandtray_null/);
    // The private Xauthority holds the one cookie for this display, and only root inside reads it.
    const auth = await run(['exec', 'gfx', '--', 'sh', '-c', 'xauth -f "$XAUTHORITY" list | wc -l; stat -c %a "$XAUTHORITY"']);
    assert.deepEqual(auth.stdout.trim().split('\n'), ['1', '600']);
    // info says what is bound, and that the compositor's own socket is used.
    const info = await run(['info', 'gfx']);
    assert.match(info.stdout, /wayland: .* wp_security_context_v1 .* not used yet/);
    // Weston 10 has no security context: info says the plain socket is bound, and the record names it.
    assert.match(info.stdout, /wayland: the compositor does not offer wp_security_context_manager_v1: the plain socket is bound, and the compositor cannot tell this sandbox's programs from your others/);
    const rec = JSON.parse(fs.readFileSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'gfx', 'state.json'), 'utf8')) as { wayland?: unknown; desktop?: string[] };
    assert.deepEqual(rec.wayland, { socket: wayland, securityContext: 'not offered' });
    assert.ok(rec.desktop?.some((l) => l.startsWith('audio: PulseAudio')));
    assert.match(info.stdout, /x11: display :\d+ through \/tmp\/\.X11-unix\/X\d+ only/);
  });

  test("the compositor's globals as read at start are those wayland-info lists", { timeout: 60_000 }, async () => {
    // Bounded for a compositor that hangs, not for speed: a loaded machine may be slow to answer.
    const ours = await waylandGlobals(wayland, 30_000);
    assert.ok(ours, 'the compositor answered');
    const names = ours.map((g) => g.interface);
    assert.ok(names.includes('wl_compositor') && names.includes('wl_shm'));
    assert.ok(!names.includes('wp_security_context_manager_v1'));
    // The positive control: the reference client sees the same interfaces.
    const wi = await execa('wayland-info', [], { env: { XDG_RUNTIME_DIR: dir, WAYLAND_DISPLAY: wayland }, reject: false });
    assert.equal(wi.exitCode, 0, wi.stderr);
    const theirs = [...wi.stdout.matchAll(/interface: '([^']+)'/g)].map((m) => m[1]);
    assert.deepEqual([...names].sort(), [...new Set(theirs)].sort());
  });

  test("an X client's window appears on the X server's screen", { timeout: 60_000 }, async () => {
    const title = `sandtray-window-${process.pid}`;
    const shown = run(['exec', 'gfx', '--', 'xmessage', '-title', title, '-timeout', '20', 'Hello from a sandbox']);
    await until('the window', async () => (await execa('xwininfo', ['-root', '-tree', '-display', `:${display}`], { env: { XAUTHORITY: xauth }, reject: false })).stdout.includes(title));
    // A picture of the screen, kept next to the test output for a person to look at.
    const out = path.join(process.cwd(), 'test-output');
    fs.mkdirSync(out, { recursive: true });
    const xwd = await execa('xwd', ['-root', '-silent', '-display', `:${display}`], { env: { XAUTHORITY: xauth }, encoding: 'buffer', reject: false });
    assert.equal(xwd.exitCode, 0);
    fs.writeFileSync(path.join(out, 'graphics-x11-window.xwd'), xwd.stdout as Uint8Array);
    await run(['exec', 'gfx', '--', 'sh', '-c', 'pkill -x xmessage || true']);
    await shown;
  });

  test('a tone played inside arrives at the sound server', { timeout: 60_000 }, async () => {
    const env = { PULSE_SERVER: `unix:${pulse}`, HOME: path.join(dir, 'home') };
    const rec = execa('parec', ['--raw', '--format=s16le', '--channels=1', '--rate=8000', '--latency-msec=50', '-d', 'sandtray_null.monitor'], { env, reject: false, buffer: false, stdout: 'pipe' });
    let peak = 0;
    let bytes = 0;
    let odd: number | null = null;
    rec.stdout!.on('data', (chunk: Buffer) => {
      let b = chunk;
      if (odd !== null) b = Buffer.concat([Buffer.from([odd]), b]);
      odd = b.length % 2 ? b[b.length - 1]! : null;
      for (let i = 0; i + 1 < b.length; i += 2) peak = Math.max(peak, Math.abs(b.readInt16LE(i)));
      bytes += b.length;
    });
    try {
      await until('the recording stream', async () => (await execa('pactl', ['list', 'short', 'source-outputs'], { env, reject: false })).stdout.trim() !== '');
      // Silence first: nothing plays yet.
      await until('some silence recorded', () => bytes > 800);
      assert.ok(peak < 100, `the monitor is silent before (peak ${peak})`);
      // One second of a 440 Hz tone, made with perl (perl-base is in every sandbox).
      const tone = 'for $i (0..7999) { print pack("s<", 12000 * sin(2 * 3.14159265 * 440 * $i / 8000)) }';
      const played = await run(['exec', 'gfx', '--', 'sh', '-c', `perl -e '${tone}' | pacat --raw --format=s16le --channels=1 --rate=8000`]);
      assert.equal(played.exitCode, 0, played.stderr);
      await until('the tone at the null sink\'s monitor', () => peak > 3000, 10_000);
    } finally {
      rec.kill('SIGTERM');
      await rec.catch(() => undefined);
    }
  });

  test('open starts the sandbox if needed and runs the app detached, its output in the sandbox\'s log', { timeout: 90_000 }, async () => {
    const title = `sandtray-open-${process.pid}`;
    const prof = writeProfile(e, 'apps', [
      'apiVersion: sandtray/v1',
      'display: {x11: true}',
      'apps:',
      `  - {name: msg, title: Message, command: [sh, -c, 'echo app-out-$((40+2)); exec xmessage -title ${title} -timeout 30 hi']}`,
      '',
    ].join('\n'));
    await e.ok(['create', 'apps', '--profile', prof], { env: envGfx });
    const unknown = await run(['open', 'apps', 'nope']);
    assert.notEqual(unknown.exitCode, 0);
    assert.match(unknown.stderr, /has no app "nope"[\s\S]*Its apps: msg/);
    const r = await run(['open', 'apps', 'msg']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /Opened Message in apps/);
    assert.match(await e.ok(['list']), /apps\s+RUNNING/);
    await until('the window', async () => (await execa('xwininfo', ['-root', '-tree', '-display', `:${display}`], { env: { XAUTHORITY: xauth }, reject: false })).stdout.includes(title));
    await until('the output in the log', async () => (await e.run(['log', 'apps'])).stdout.includes('[inside] app-out-42'));
    await e.ok(['delete', '--force', 'apps']);
  });

  test('X11 without the cookie is refused', { timeout: 30_000 }, async () => {
    const r = await run(['exec', 'gfx', '--', 'sh', '-c', 'XAUTHORITY=/nonexistent xdpyinfo']);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /unable to open display|Authorization required/);
  });

  for (const mode of ['none', 'nat'] as const) {
    test(`a sandbox that does not ask (network ${mode}) reaches none of them, even with the variables set`, { timeout: 90_000 }, async () => {
      // It even holds the cookie (bound from the host): only the socket is missing.
      const prof = writeProfile(e, `plain-${mode}`, `apiVersion: sandtray/v1\nnetwork: {mode: ${mode}}\nmounts: [{source: ${xauth}, target: /cookie}]\n`);
      await e.ok(['launch', `plain-${mode}`, '--profile', prof], { env: envGfx });
      const vars = ['--env', `DISPLAY=:${display}`, '--env', 'XAUTHORITY=/cookie', '--env', `WAYLAND_DISPLAY=${wayland}`, '--env', `PULSE_SERVER=unix:${pulse}`, '--env', 'XDG_RUNTIME_DIR=/run'];
      const env = await run(['exec', `plain-${mode}`, '--', 'sh', '-c', 'echo "[$XDG_RUNTIME_DIR]"; ls /tmp/.X11-unix /run/user 2>&1 | head -2']);
      assert.match(env.stdout, /^\[\]$/m, 'no runtime folder is set');
      assert.match(env.stdout, /No such file or directory/);
      for (const cmd of [['xdpyinfo'], ['wayland-info'], ['pactl', 'info']]) {
        const r = await run(['exec', `plain-${mode}`, ...vars, '--', ...cmd]);
        assert.notEqual(r.exitCode, 0, `${cmd.join(' ')} connected: ${r.stdout}`);
      }
      // The X server's abstract socket lives in the host's network namespace: unreachable here...
      const abs = await run(['exec', `plain-${mode}`, '--', 'perl', '-e', ABSTRACT_CONNECT, String(display)]);
      assert.match(abs.stdout, /^refused: /);
      // ...while the same program on the host connects (the positive control).
      const host = await execa('perl', ['-e', ABSTRACT_CONNECT, String(display)]);
      assert.equal(host.stdout.trim(), 'connected');
    });
  }

  test('with network host the abstract socket is reachable, and the risk says so', { timeout: 60_000 }, async () => {
    const prof = writeProfile(e, 'hostnet', 'apiVersion: sandtray/v1\nnetwork: {mode: host}\ndisplay: {x11: true}\n');
    const v = await run(['profile', 'validate', prof]);
    assert.match(v.stdout, /warning: display\.x11: X11 programs can read and type into every window.*with network\.mode: host they also reach its abstract socket/);
    await e.ok(['launch', 'hostnet', '--profile', prof], { env: envGfx });
    const abs = await run(['exec', 'hostnet', '--', 'perl', '-e', ABSTRACT_CONNECT, String(display)]);
    assert.equal(abs.stdout.trim(), 'connected');
    await e.ok(['delete', '--force', 'hostnet']);
  });
});
