// The risk summary of an expanded profile, on real folders and real symbolic links in a temporary
// home, so no test looks at or touches the real one.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expandLayers } from '../../helpers/profile/expand.js';
import { parseLayer } from '../../helpers/profile/load.js';
import { changeableLink, formatRisk, profileRisks, resolveHostPath, riskHost, HOST_NETWORK_RISK, type Risk } from '../../helpers/profile/risks.js';

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-risks-')));
const home = path.join(root, 'home');
const run = path.join(root, 'run');
for (const d of ['.ssh', '.gnupg', '.aws', '.config/autostart', 'Projects']) fs.mkdirSync(path.join(home, d), { recursive: true });
fs.mkdirSync(path.join(run, 'sandtray'), { recursive: true, mode: 0o700 });
fs.mkdirSync(path.join(root, 'outside'));
const env = { HOME: home, XDG_RUNTIME_DIR: run, PATH: '/usr/bin:/bin' };
const host = riskHost({ env });
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** The risks of a profile written as YAML (after apiVersion), in the temporary home. */
function risksOf(yaml: string): Risk[] {
  const { profile } = expandLayers('box', [{ origin: 'test', layer: parseLayer(`apiVersion: sandtray/v1\n${yaml}`, 'test', root) }]);
  return profileRisks(profile, host);
}

function mount(source: string, extra = ''): string {
  return `mounts:\n  - {source: '${source}', target: /m${extra}}\n`;
}

function only(risks: Risk[], key: string): Risk[] {
  return risks.filter((r) => r.key === key);
}

test('the defaults carry no risk; plain read-only folders and a private or tmpfs home neither', () => {
  assert.deepEqual(risksOf(''), []);
  assert.deepEqual(risksOf(mount(path.join(home, 'Projects'))), []);
  assert.deepEqual(risksOf(mount(path.join(root, 'outside'))), []);
  assert.deepEqual(risksOf('home: tmpfs\nnetwork: {mode: nat}\ncapabilities: [CHOWN, SETUID]\n'), []);
});

test('keys and credentials in the home folder are high risks, named in plain words', () => {
  const cases: [string, RegExp][] = [
    ['.ssh', /your SSH keys/],
    ['.gnupg', /GnuPG private keys/],
    ['.aws', /AWS credentials/],
    ['.config', /settings of your desktop programs/],
  ];
  for (const [dir, words] of cases) {
    const r = risksOf(mount(path.join(home, dir)));
    assert.equal(r.length, 1, `${dir}: ${JSON.stringify(r)}`);
    assert.equal(r[0]!.level, 'high');
    assert.equal(r[0]!.key, 'mounts[0]');
    assert.match(r[0]!.message, words);
    assert.match(r[0]!.message, new RegExp(`^~/${dir.replace('.', '\\.')} is mounted at /m, read-only`));
    assert.equal(r[0]!.resolved, undefined);
  }
  // A file inside counts as the folder.
  assert.match(risksOf(mount(path.join(home, '.ssh/id_ed25519'), ', optional: true'))[0]!.message, /part of ~\/\.ssh: your SSH keys/);
  // Writable ~/.config also hands over autostart, which runs outside the sandbox.
  const rw = risksOf(mount(path.join(home, '.config'), ', readOnly: false'))[0]!;
  assert.match(rw.message, /writable/);
  assert.match(rw.message, /~\/\.config\/autostart, files that run outside the sandbox/);
});

test('the whole home, a folder above it, or / are high risks', () => {
  for (const src of [home, root, '/']) {
    const r = risksOf(mount(src));
    assert.equal(r[0]!.level, 'high', src);
    assert.match(r[0]!.message, src === '/' ? /whole host file system/ : /your whole home folder/, src);
  }
  // The whole home is said once, not again for each key folder in it.
  assert.doesNotMatch(risksOf(mount(home))[0]!.message, /SSH/);
});

test('a symbolic link is judged by where it leads, and the link itself is named', () => {
  const link = path.join(root, 'innocent');
  fs.symlinkSync(home, link);
  const r = risksOf(mount(link));
  assert.deepEqual(r.map((x) => [x.key, x.level]), [['mounts[0]', 'high'], ['mounts[0]', 'medium']]);
  assert.equal(r[0]!.resolved, home);
  assert.match(r[0]!.message, new RegExp(`^${link} \\(really ~\\) is mounted at /m, read-only: programs inside get your whole home folder`));
  assert.match(r[1]!.message, new RegExp(`^${link} is a symbolic link to ~:`));

  // A link in the middle of the path, relative, to a key folder.
  const hop = path.join(root, 'hop');
  fs.symlinkSync('home', hop);
  const mid = risksOf(mount(path.join(hop, '.ssh')));
  assert.equal(mid[0]!.resolved, path.join(home, '.ssh'));
  assert.match(mid[0]!.message, /really ~\/\.ssh\) .*your SSH keys/);
  assert.match(mid[1]!.message, new RegExp(`^${hop} is a symbolic link, so ${hop}/\\.ssh really leads to ~/\\.ssh`));

  // A dangling link (an optional mount whose target is missing) still resolves.
  const dangling = path.join(root, 'later');
  fs.symlinkSync(path.join(home, '.kube'), dangling);
  assert.equal(resolveHostPath(dangling), path.join(home, '.kube'));
  assert.match(risksOf(mount(dangling, ', optional: true'))[0]!.message, /Kubernetes cluster credentials/);

  // A link to a harmless folder is still named: it can be re-pointed before the next start.
  const toProjects = path.join(root, 'projects-link');
  fs.symlinkSync(path.join(home, 'Projects'), toProjects);
  const harmless = risksOf(mount(toProjects));
  assert.deepEqual(harmless.map((x) => x.level), ['medium']);
  assert.equal(harmless[0]!.resolved, path.join(home, 'Projects'));
});

test("links that only root can change (merged /usr, /var/run) are resolved but not reported", () => {
  assert.equal(changeableLink('/usr'), null);
  for (const p of ['/bin/sh', '/var/run']) {
    if (!fs.existsSync(p) || !fs.lstatSync(p.split('/').slice(0, 2).join('/')).isSymbolicLink()) continue;
    assert.equal(changeableLink(p), null, p);
    assert.notEqual(resolveHostPath(p), p);
  }
  assert.equal(changeableLink(path.join(root, 'innocent')), path.join(root, 'innocent'));
});

test("the session's runtime folder, system sockets, devices, /proc and /sys", () => {
  const uid = process.getuid!();
  const cases: [string, RegExp, Risk['level']][] = [
    [`/run/user/${uid}`, /session's private sockets \(ssh-agent, gpg-agent, D-Bus, systemd/, 'high'],
    [`/run/user/${uid}/bus`, /D-Bus session bus/, 'high'],
    [`/run/user/${uid}/gnupg/S.gpg-agent`, /gpg-agent/, 'high'],
    [run, /session's private sockets/, 'high'],
    [path.join(run, 'sandtray'), /Sandtray's own running state/, 'high'],
    ['/run/dbus', /system D-Bus/, 'high'],
    ['/tmp/.X11-unix', /read and type into every window of your desktop/, 'high'],
    ['/dev/pts', /your terminals, where they can read what you type/, 'high'],
    ['/dev/null', /host's devices/, 'high'],
    ['/dev', /host's devices/, 'high'],
    ['/proc', /host's processes/, 'high'],
    ['/sys', /kernel and hardware details/, 'medium'],
    ['/run/docker.sock', /as good as being root/, 'high'],
    ['/var/run/docker.sock', /as good as being root/, 'high'],
    [`/run/user/${uid}/podman/podman.sock`, /podman socket/, 'high'],
  ];
  for (const [src, words, level] of cases) {
    const r = risksOf(mount(src, ', optional: true'));
    assert.ok(r.length >= 1, src);
    assert.equal(r[0]!.level, level, src);
    assert.match(r[0]!.message, words, src);
  }
  // A folder that holds the runtime folder hands it over too.
  assert.match(risksOf(mount(root))[0]!.message, /session's private sockets|Sandtray's own/);
});

test('a socket or device node anywhere is flagged', async () => {
  const sock = path.join(root, 'outside', 'svc.sock');
  const server = net.createServer().listen(sock);
  await new Promise((r) => server.once('listening', r));
  try {
    const r = risksOf(mount(sock));
    assert.equal(r[0]!.level, 'medium');
    assert.match(r[0]!.message, /a socket, so programs inside can talk to the service behind it/);
  } finally {
    server.close();
  }
  const dev = path.join(root, 'outside', 'null-link');
  fs.symlinkSync('/dev/null', dev);
  assert.equal(risksOf(mount(dev))[0]!.level, 'high');
});

test('writable mounts: outside the home folder medium, inside it info', () => {
  const out = risksOf(mount(path.join(root, 'outside'), ', readOnly: false'));
  assert.deepEqual(out.map((r) => r.level), ['medium']);
  assert.match(out[0]!.message, /can change and delete files there, outside your home folder/);
  const inside = risksOf(mount(path.join(home, 'Projects'), ', readOnly: false'));
  assert.deepEqual(inside.map((r) => r.level), ['info']);
});

test('home bound to a host folder; the real home is the worst case', () => {
  const real = only(risksOf(`home: '${home}'\n`), 'home');
  assert.equal(real.length, 1);
  assert.equal(real[0]!.level, 'high');
  assert.match(real[0]!.message, /your real home folder ~, writable: programs inside can read every file you own and change your shell startup files/);
  const other = only(risksOf(`home: '${path.join(root, 'outside')}'\n`), 'home');
  assert.equal(other[0]!.level, 'medium');
  assert.match(other[0]!.message, /host folder .*outside, writable: .*\.bashrc/);
  const above = only(risksOf(`home: '${root}'\n`), 'home');
  assert.equal(above[0]!.level, 'high');
  assert.match(above[0]!.message, /^the sandbox's home is the host folder .*, writable: programs inside get ~, your whole home folder/);
  const cfg = only(risksOf(`home: '${path.join(home, '.config')}'\n`), 'home');
  assert.equal(cfg[0]!.level, 'high');
  // Through a link to the home: judged by where it leads, and the link is named.
  const viaLink = only(risksOf(`home: '${path.join(root, 'innocent')}'\n`), 'home');
  assert.equal(viaLink[0]!.level, 'high');
  assert.equal(viaLink[0]!.resolved, home);
  assert.match(viaLink[1]!.message, /is a symbolic link to ~/);
});

test('network, nesting and capabilities', () => {
  const hostNet = risksOf('network: {mode: host}\n');
  assert.deepEqual(hostNet.map((r) => [r.key, r.level]), [['network.mode', 'high']]);
  assert.ok(hostNet[0]!.message.includes(HOST_NETWORK_RISK));
  assert.match(hostNet[0]!.message, /programs inside can read and type into every window of your desktop/);
  assert.match(hostNet[0]!.message, /abstract D-Bus sockets/);

  assert.deepEqual(risksOf('network: {mode: nat}\n'), []);
  const loop = risksOf('network: {mode: nat, allowHostLoopback: true}\n');
  assert.deepEqual(loop.map((r) => [r.key, r.level]), [['network.allowHostLoopback', 'medium']]);
  assert.match(loop[0]!.message, /loopback/);

  assert.deepEqual(risksOf('nesting: true\n').map((r) => [r.key, r.level]), [['nesting', 'medium']]);

  const caps = risksOf('capabilities: [CHOWN, net_admin, CAP_SYS_ADMIN, SYS_PTRACE, MKNOD]\n');
  assert.deepEqual(caps.map((r) => [r.key, r.level]), [['capabilities[2]', 'high'], ['capabilities[1]', 'medium'], ['capabilities[3]', 'medium'], ['capabilities[4]', 'medium']]);
  assert.match(caps[0]!.message, /^root inside holds CAP_SYS_ADMIN: it can mount file systems/);
  assert.match(caps[1]!.message, /CAP_NET_ADMIN: it can configure the sandbox's network/);
  assert.match(caps[2]!.message, /CAP_SYS_PTRACE: it can trace and read the memory/);
  assert.match(caps[3]!.message, /CAP_MKNOD, beyond the default set/);
});

test('most serious first, a line each beginning with "warning:"', () => {
  const r = risksOf(`nesting: true\n${mount(path.join(home, 'Projects'), ', readOnly: false').trimEnd()}\n  - {source: '${home}/.ssh', target: /ssh}\nnetwork: {mode: host}\n`);
  assert.deepEqual(r.map((x) => x.level), ['high', 'high', 'medium', 'info']);
  assert.deepEqual(r.map((x) => x.key), ['mounts[1]', 'network.mode', 'nesting', 'mounts[0]']);
  for (const x of r) assert.match(formatRisk(x), new RegExp(`^warning: ${x.key.replace(/[[\]]/g, '\\$&')}: \\S`));
});
