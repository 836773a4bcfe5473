// The AppArmor profile, its installer and Sandtray's launcher, checked with this machine's real
// apparmor_parser (AppArmor 3 on Debian 12; .ci/run installs it) and bash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import YAML from 'yaml';
import { closeFdsPrefix, INSTALLED_LAUNCHER, trustedLauncher } from '../../helpers/host/close-fds.js';
import { ROOT } from '../lib/sandtray.js';

const RES = path.join(ROOT, 'resources');
const PROFILE = path.join(RES, 'apparmor', 'sandtray');
const SETUP = path.join(RES, 'linux', 'apparmor-setup.sh');
const LAUNCHER = path.join(RES, 'bin', 'sandtray-launch');

function parser(): string {
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin']) {
    const p = path.join(d, 'apparmor_parser');
    if (fs.existsSync(p)) return p;
  }
  // Not a skip: CI installs apparmor (.ci/run), and the profile must be checked there.
  assert.fail('apparmor_parser is missing: apt-get install apparmor (.ci/run installs it)');
}

const APPARMOR4 = fs.existsSync('/etc/apparmor.d/abi/4.0');

async function compile(file: string, includes: string[] = []) {
  return execa(parser(), ['--skip-kernel-load', '--skip-cache', '--skip-read-cache', ...includes.flatMap((i) => ['-I', i]), file], { reject: false });
}

function tmp(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sandtray-${label}-`));
}

test('the profile confines only the packaged app and the launcher, and grants them user namespaces', () => {
  const text = fs.readFileSync(PROFILE, 'utf8');
  const config = YAML.parse(fs.readFileSync(path.join(RES, 'electron-builder.yml'), 'utf8')) as { productName: string; linux: { executableName: string } };
  // electron-builder's .deb puts the app in /opt/PRODUCT_NAME/EXECUTABLE_NAME.
  const app = `/opt/${config.productName}/${config.linux.executableName}`;
  const profiles = [...text.matchAll(/^profile (\S+) (\S+) flags=\(([^)]*)\) \{([^}]*)\}/gm)];
  assert.deepEqual(profiles.map((m) => [m[1], m[2]]), [['sandtray', app], ['sandtray-launch', INSTALLED_LAUNCHER]]);
  for (const m of profiles) {
    // Unconfined mode: restricts nothing, and what these programs start stays in the profile.
    assert.equal(m[3], 'unconfined');
    assert.match(m[4]!, /^\s*include if exists <sandtray\.d\/userns>$/m, `${m[1]} takes the userns rule`);
  }
  // No rule and no attachment anywhere else: bwrap and unshare of other programs stay restricted.
  assert.equal((text.match(/^\s*profile /gm) ?? []).length, 2);
  assert.ok(!/\/usr\/bin\/(bwrap|unshare)\b/.test(text.replace(/^#.*$/gm, '')), 'no profile for bwrap or unshare themselves');
  assert.match(text, /^include if exists <sandtray\.d\/abi>$/m);
  assert.equal(fs.readFileSync(path.join(RES, 'apparmor', 'sandtray.d', 'abi'), 'utf8').replace(/^#.*\n/gm, ''), 'abi <abi/4.0>,\n');
  assert.equal(fs.readFileSync(path.join(RES, 'apparmor', 'sandtray.d', 'userns'), 'utf8').replace(/^#.*\n/gm, ''), 'userns,\n');
});

test("the profile parses with this machine's parser; a broken copy does not", async () => {
  const r = await compile(PROFILE);
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const dir = tmp('apparmor');
  try {
    const broken = path.join(dir, 'sandtray');
    fs.writeFileSync(broken, fs.readFileSync(PROFILE, 'utf8').replace('flags=(unconfined) {', 'flags=(unconfined) {\n  this is not a rule,'));
    assert.notEqual((await compile(broken)).exitCode, 0, 'the parser really parses');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('with its userns snippets the profile compiles exactly where the parser knows AppArmor 4', async () => {
  const r = await compile(PROFILE, [path.join(RES, 'apparmor'), '/etc/apparmor.d']);
  if (APPARMOR4) assert.equal(r.exitCode, 0, r.stderr);
  // AppArmor 3 knows neither the 4.0 ABI nor the rule: this is why the installer compiles first.
  else assert.notEqual(r.exitCode, 0, 'an AppArmor 3 parser must refuse the userns snippets');
});

/** A folder standing for / with what the parser needs, and the sysctl at the given value. */
function fakeRoot(restricted: string | null, abi4: boolean): string {
  const root = tmp('aaroot');
  const aa = path.join(root, 'etc', 'apparmor.d');
  fs.mkdirSync(aa, { recursive: true });
  fs.cpSync('/etc/apparmor.d/tunables', path.join(aa, 'tunables'), { recursive: true });
  fs.cpSync('/etc/apparmor.d/abi', path.join(aa, 'abi'), { recursive: true });
  if (abi4 && !fs.existsSync(path.join(aa, 'abi', '4.0'))) fs.copyFileSync(path.join(aa, 'abi', '3.0'), path.join(aa, 'abi', '4.0'));
  if (restricted !== null) {
    fs.mkdirSync(path.join(root, 'proc', 'sys', 'kernel'), { recursive: true });
    fs.writeFileSync(path.join(root, 'proc', 'sys', 'kernel', 'apparmor_restrict_unprivileged_userns'), `${restricted}\n`);
  }
  return root;
}

async function setup(root: string, args: string[]) {
  const r = await execa('/bin/sh', [SETUP, ...args], { reject: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SANDTRAY_ROOT: root }, extendEnv: false });
  return { ...r, out: `${r.stdout}${r.stderr}` };
}

const installed = (root: string) => fs.existsSync(path.join(root, 'etc', 'apparmor.d', 'sandtray'));

test('the installer installs nothing where the kernel does not restrict user namespaces, and removes an old profile', async () => {
  for (const sysctl of ['0', null]) {
    const root = fakeRoot(sysctl, true);
    try {
      // What an older Sandtray left: a profile for /usr/bin/bwrap that AppArmor 3 cannot parse.
      fs.writeFileSync(path.join(root, 'etc', 'apparmor.d', 'sandtray'), 'abi <abi/4.0>,\nprofile sandtray-bwrap /usr/bin/bwrap flags=(unconfined) {\n  userns,\n}\n');
      const r = await setup(root, ['install', path.join(RES, 'apparmor')]);
      assert.equal(r.exitCode, 0, r.out);
      assert.match(r.out, /does not restrict user namespaces/);
      assert.ok(!installed(root), 'the old profile is gone and no new one is there');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
});

test('a restricting kernel with an AppArmor 3 parser: nothing installed, the install still succeeds', async () => {
  // Without the 4.0 ABI (as on Ubuntu 22.04 with a newer kernel), and with a 4.0 ABI file that
  // this parser still cannot compile the userns rule against: both refuse, neither fails.
  for (const abi4 of [false, true]) {
    const root = fakeRoot('1', abi4);
    try {
      const r = await setup(root, ['install', path.join(RES, 'apparmor')]);
      assert.equal(r.exitCode, 0, r.out);
      if (APPARMOR4 && abi4) {
        assert.ok(installed(root), r.out);
        continue;
      }
      assert.match(r.out, abi4 ? /parser refuses the profile, so it is not installed/ : /no 4\.0 policy ABI/);
      assert.ok(!installed(root), r.out);
      assert.ok(!fs.existsSync(path.join(root, 'etc', 'apparmor.d', 'sandtray.d')));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
});

test('where the parser accepts the profile it is installed as shipped, parses in place, and remove undoes it', async () => {
  // This machine's parser is AppArmor 3, which has no userns rule: stand a rule it knows in for the
  // userns snippet (and the 3.0 ABI for the 4.0 one), so the path a 24.04 host takes runs here with
  // the real parser. The profile file itself is the shipped one.
  const root = fakeRoot('1', true);
  const src = tmp('aasrc');
  try {
    fs.copyFileSync(PROFILE, path.join(src, 'sandtray'));
    fs.mkdirSync(path.join(src, 'sandtray.d'));
    fs.writeFileSync(path.join(src, 'sandtray.d', 'abi'), APPARMOR4 ? 'abi <abi/4.0>,\n' : 'abi <abi/3.0>,\n');
    fs.writeFileSync(path.join(src, 'sandtray.d', 'userns'), APPARMOR4 ? 'userns,\n' : 'signal,\n');
    const local = path.join(root, 'etc', 'apparmor.d', 'local');
    fs.mkdirSync(local);
    fs.writeFileSync(path.join(local, 'sandtray'), '# the administrator\'s own\n');

    const r = await setup(root, ['install', src]);
    assert.equal(r.exitCode, 0, r.out);
    assert.match(r.out, /installed .*\/etc\/apparmor\.d\/sandtray/);
    const aa = path.join(root, 'etc', 'apparmor.d');
    assert.equal(fs.readFileSync(path.join(aa, 'sandtray'), 'utf8'), fs.readFileSync(PROFILE, 'utf8'));
    assert.equal(fs.statSync(path.join(aa, 'sandtray')).mode & 0o777, 0o644);
    for (const s of ['abi', 'userns']) assert.equal(fs.readFileSync(path.join(aa, 'sandtray.d', s), 'utf8'), fs.readFileSync(path.join(src, 'sandtray.d', s), 'utf8'));
    // apparmor.service compiles it from there: it must parse with the snippets in place.
    const c = await compile(path.join(aa, 'sandtray'), [aa]);
    assert.equal(c.exitCode, 0, c.stderr);
    assert.ok(!/loaded profiles/.test(r.out), 'nothing is loaded into the kernel for a test root');

    const again = await setup(root, ['install', src]);
    assert.equal(again.exitCode, 0, again.out);
    assert.ok(installed(root), 'installing twice (an upgrade) keeps it');

    const rm = await setup(root, ['remove']);
    assert.equal(rm.exitCode, 0, rm.out);
    assert.ok(!installed(root));
    assert.ok(!fs.existsSync(path.join(aa, 'sandtray.d')));
    assert.ok(fs.existsSync(path.join(local, 'sandtray')), "the administrator's local additions stay");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(src, { recursive: true, force: true });
  }
});

test('the package scripts install the launcher root-owned and never let the AppArmor step fail the install', async () => {
  const after = fs.readFileSync(path.join(RES, 'linux', 'after-install.sh'), 'utf8');
  assert.match(after, new RegExp(`install -o root -g root -m 755 \\$APP/bin/sandtray-launch ${INSTALLED_LAUNCHER}$`, 'm'));
  assert.match(after, /^sh \/usr\/lib\/sandtray\/apparmor-setup install \$APP\/apparmor \|\| true$/m);
  assert.ok(!/apparmor_parser/.test(after), 'only apparmor-setup touches AppArmor');
  const remove = fs.readFileSync(path.join(RES, 'linux', 'after-remove.sh'), 'utf8');
  assert.match(remove, /apparmor-setup remove \|\| true/);
  assert.match(remove, new RegExp(`rm -f ${INSTALLED_LAUNCHER}`));
  for (const f of [SETUP, path.join(RES, 'linux', 'after-install.sh'), path.join(RES, 'linux', 'after-remove.sh')]) {
    const r = await execa('/bin/sh', ['-n', f], { reject: false });
    assert.equal(r.exitCode, 0, `${f}: ${r.stderr}`);
  }
  const b = await execa('/bin/bash', ['-n', LAUNCHER], { reject: false });
  assert.equal(b.exitCode, 0, b.stderr);
  assert.equal(fs.statSync(LAUNCHER).mode & 0o755, 0o755, 'the launcher is executable');
});

/** Which of the descriptors 3..12 the command sees, run through `prefix` with 3..12 inherited. */
async function seenFds(prefix: string[]): Promise<string> {
  const held: number[] = [];
  try {
    // Descriptors handed to a child without close-on-exec, as a parent process may.
    for (let i = 3; i <= 12; i++) held.push(fs.openSync('/dev/null', 'r'));
    const stdio = ['ignore', 'pipe', 'pipe', ...held] as unknown as ['ignore', 'pipe', 'pipe'];
    const probe = 'for n in 3 4 5 6 7 8 9 10 11 12; do [ -e /proc/$$/fd/$n ] && printf "%s " $n; done; printf "| %s|%s" "$1" "$2"';
    const r = await execa(prefix[0]!, [...prefix.slice(1), '/bin/sh', '-c', probe, 'probe', 'an arg with spaces', '--'], { stdio, reject: false });
    assert.equal(r.exitCode, 0, String(r.stderr));
    return String(r.stdout);
  } finally {
    for (const fd of held) fs.closeSync(fd);
  }
}

test('the launcher closes every descriptor above KEEP exactly as the inline step does', async () => {
  const inline = closeFdsPrefix(5, '/nonexistent/sandtray-launch');
  assert.equal(inline[0], '/bin/bash', 'no launcher there: the inline bash step');
  // Positive control: without the step, the command sees every inherited descriptor.
  assert.equal(await seenFds(['/usr/bin/env']), '3 4 5 6 7 8 9 10 11 12 | an arg with spaces|--');
  for (const keep of ['2', '5', '9']) {
    const viaLauncher = await seenFds([LAUNCHER, keep]);
    assert.equal(viaLauncher, await seenFds(closeFdsPrefix(Number(keep), '/nonexistent/sandtray-launch')), `KEEP ${keep}`);
    const expect = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12].filter((n) => n <= Number(keep)).map((n) => `${n} `).join('');
    assert.equal(viaLauncher, `${expect}| an arg with spaces|--`);
  }
  // The exit status of the command is the launcher's.
  const r = await execa(LAUNCHER, ['2', '/bin/sh', '-c', 'exit 7'], { reject: false });
  assert.equal(r.exitCode, 7);
  // Same loop in both forms, so they cannot drift apart.
  const loop = fs.readFileSync(LAUNCHER, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join('\n');
  assert.equal(loop, closeFdsPrefix(2, '/nonexistent')[4]);
});

test('the launcher is used only when root owns it and no one else can change it or its folders', () => {
  // Ours (the test user's) in the checkout: not trusted, so the inline step runs.
  assert.equal(trustedLauncher(LAUNCHER), false);
  assert.deepEqual(closeFdsPrefix(3, LAUNCHER).slice(0, 2), ['/bin/bash', '--norc']);
  // A root-owned, root-only file in root-owned folders is taken as the launcher (here any such file
  // stands in; the .deb installs the real one at INSTALLED_LAUNCHER).
  assert.equal(trustedLauncher('/usr/bin/env'), true);
  assert.deepEqual(closeFdsPrefix(3, '/usr/bin/env'), ['/usr/bin/env', '3']);
  // Missing, a symlink, or in a folder others can write: not trusted.
  assert.equal(trustedLauncher('/nonexistent/sandtray-launch'), false);
  const dir = tmp('launcher');
  try {
    fs.symlinkSync('/usr/bin/env', path.join(dir, 'link'));
    assert.equal(trustedLauncher(path.join(dir, 'link')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(INSTALLED_LAUNCHER, '/usr/lib/sandtray/sandtray-launch');
});
