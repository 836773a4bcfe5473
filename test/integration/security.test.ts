// The brief's security invariants, each checked inside a real sandbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BIN, LEAKED, runLeaking, sandtrayEnv, writeProfile } from '../lib/sandtray.js';
import { formatMapLines } from '../../helpers/idmap/map.js';
import { closeFdsPrefix } from '../../helpers/host/close-fds.js';

const e = sandtrayEnv('sec');
let shadowSource = '';

// A host file handed to the CLI the way a terminal emulator or a parent script leaks one: open, and
// without close-on-exec, at a descriptor number above those the launch chain itself passes on to
// bwrap. (libuv hands a child its low extra descriptors close-on-exec; a high one stays open.)
// Nothing inside may see it.

before(async () => {
  // A host file that only root can read. /etc/shadow is root-owned with no access for others on
  // Debian and Ubuntu; check that precondition rather than assume it.
  const st = fs.statSync('/etc/shadow');
  assert.equal(st.uid, 0);
  assert.equal(st.mode & 0o007, 0);
  shadowSource = '/etc/shadow';
  const p = writeProfile(e, 'sec', `apiVersion: sandtray/v1\nhostname: secbox\nmounts:\n  - {source: ${shadowSource}, target: /mnt/secret}\n`);
  const r = await runLeaking(e, ['launch', 'secbox', '--profile', p]);
  assert.equal(r.exitCode, 0, r.stderr);
});
after(() => e.cleanup());

const inside = (script: string) => e.run(['exec', 'secbox', '--', 'sh', '-c', script]);

test('hostname is the profile\'s and pid 1 is our init', async () => {
  const r = await inside('hostname; cat /proc/1/cmdline | tr "\\0" " "');
  assert.equal(r.exitCode, 0, r.stderr);
  const [host, init] = r.stdout.split('\n');
  assert.equal(host, 'secbox');
  assert.match(init!, /sandtray-init/);
});

test('/proc/self/uid_map and gid_map are the planned map', async () => {
  const plan = JSON.parse(await e.ok(['plan', 'secbox', '--json']));
  const r = await inside('cat /proc/self/uid_map; echo ---; cat /proc/self/gid_map; echo ---');
  const [uid, gid] = r.stdout.split(/---\n?/);
  assert.equal(uid, formatMapLines(plan.idmap.uid));
  assert.equal(gid, formatMapLines(plan.idmap.gid));
  assert.equal(plan.idmap.uid[0].inside, 0);
  assert.equal(plan.idmap.uid[0].outside, process.getuid!());
});

test('host processes are invisible', async () => {
  const r = await inside('for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null | tr "\\0" " "; echo; done');
  const cmds = r.stdout.split('\n').filter(Boolean);
  assert.ok(cmds.length <= 6, `only the sandbox's own processes: ${cmds.join(' | ')}`);
  assert.ok(!cmds.some((c) => c.includes('node') || c.includes('test/run.js')), 'the test runner is not visible');
  // The test runner's own pid, looked up by number: on the host the lookup shows our command
  // line (the control), inside either no such process or a different one of the sandbox's.
  const ours = fs.readFileSync('/proc/self/cmdline', 'utf8').replaceAll('\0', ' ');
  const lookup = `hostname; test -e /proc/${process.pid}/cmdline && tr "\\0" " " </proc/${process.pid}/cmdline || echo absent`;
  const onHost = await execa('sh', ['-c', lookup]);
  assert.equal(onHost.stdout.split('\n')[1], ours);
  const r2 = await inside(lookup);
  const [host, seen] = r2.stdout.split('\n');
  assert.equal(host, 'secbox', 'the lookup ran inside');
  assert.ok(seen === 'absent' || (seen !== undefined && seen !== ours), `pid ${process.pid} inside: ${seen}`);
});

test('a root-only host file bound in cannot be read', async () => {
  const r = await inside('cat /mnt/secret >/dev/null 2>&1 && echo READ || echo DENIED; ls -ln /mnt/secret');
  assert.match(r.stdout, /^DENIED$/m);
  // Unmapped host root shows up as the overflow id, not as root inside.
  assert.match(r.stdout, /65534/);
});

test('no mount made inside reaches the host: root inside cannot mount at all, nor in a mount namespace of its own', async () => {
  const homeOnHost = path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'secbox', 'home');
  const r = await inside('hostname; mkdir -p /root/mnt-probe; mount -t tmpfs probe /root/mnt-probe && echo MOUNTED; unshare -m true && echo UNSHARED; grep -c mnt-probe /proc/self/mountinfo');
  assert.equal(r.stdout.split('\n')[0], 'secbox', 'the command ran inside');
  assert.doesNotMatch(r.stdout, /MOUNTED|UNSHARED/);
  assert.match(r.stderr, /permission denied|Operation not permitted/i);
  assert.ok(fs.existsSync(path.join(homeOnHost, 'mnt-probe')), 'the directory was made, inside the sandbox\'s home');
  assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes('mnt-probe'));
});

test('no host file descriptors beyond stdio, in pid 1 and in attached processes', async () => {
  // Positive control: a descriptor handed over this way does reach what a node process starts.
  const ctl = await runLeaking(e, [], [process.execPath, '-e', `require('child_process').execFileSync('sh', ['-c', 'for f in ${LEAKED.fds.join(' ')}; do readlink /proc/self/fd/$f; done'], {stdio: ['ignore', 'inherit', 'inherit']})`]);
  assert.equal(ctl.stdout, LEAKED.fds.map(() => `${path.join(e.dir, LEAKED.name)}\n`).join(''), ctl.stderr);
  // pid 1 was launched, and this command runs, by a CLI holding that descriptor.
  const r = await runLeaking(e, ['exec', 'secbox', '--', 'sh', '-c', 'hostname; ls /proc/1/fd; echo ---; ls /proc/$$/fd; echo ---; for f in /proc/1/fd/* /proc/$$/fd/*; do readlink $f || true; done']);
  assert.equal(r.exitCode, 0, r.stderr);
  const [[host, ...initFds], selfFds, targets] = r.stdout.split('---\n').map((s) => s.split('\n').filter(Boolean)) as [string[], string[], string[]];
  assert.equal(host, 'secbox', 'the command ran inside');
  assert.deepEqual(initFds!.map(Number), [0, 1, 2]);
  // The listing itself holds one more descriptor (the directory being read) while it runs.
  assert.deepEqual(selfFds!.map(Number).filter((fd) => fd > 2).length <= 1, true, `attached fds: ${selfFds}`);
  assert.ok(!targets!.some((t) => t.includes(LEAKED.name)), `the host file is not open inside: ${targets}`);
  const r2 = await inside('readlink /proc/1/fd/0');
  assert.equal(r2.stdout.trim(), '/dev/null');
  // Two layers close it: the first step of every chain the CLI spawns (host/close-fds.ts; the launch
  // step closes it itself, test/unit/launch-step-fds.test.ts), so that
  // none of the host-side tools (unshare, nsenter, bwrap, pasta, openvpn) holds it either, and the
  // entering step inside (confine/enter.ts). The first on its own:
  const step = await runLeaking(e, [], [...closeFdsPrefix(2), 'sh', '-c', `readlink /proc/self/fd/${LEAKED.fds[0]} || echo closed`]);
  assert.equal(step.stdout.trim(), 'closed', step.stderr);
});

test('no host supplementary groups follow pid 1 or attached processes', async () => {
  const r = await inside('grep ^Groups: /proc/1/status; grep ^Groups: /proc/self/status');
  assert.deepEqual(r.stdout.split('\n').map((l) => l.replace(/\s+$/, '')), ['Groups:', 'Groups:']);
});

test('the working directory of attached processes resolves inside the sandbox', async () => {
  const r = await inside('pwd; readlink /proc/self/cwd; ls / | head -50');
  const [pwd, cwd] = r.stdout.split('\n');
  assert.equal(pwd, '/root');
  assert.equal(cwd, '/root');
  assert.ok(!r.stdout.includes('sandtray-test-'), 'host paths do not show');
});

test('TIOCSTI from inside cannot push keystrokes into the attaching terminal', async () => {
  // The test plays the user's terminal: script(1) gives `sandtray exec` a real terminal, and a shell
  // on that terminal reads what arrives after the sandbox process ran.
  const home = path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'secbox', 'home');
  const tiocsti = (fh: string) => `for my $c (split //, "echo PWNED\\n") { ioctl(${fh}, 0x5412, $c) or print "ioctl: $!\\n"; } print "tried\\n";\n`;
  fs.writeFileSync(path.join(home, 'tiocsti.pl'), tiocsti('STDIN'));
  fs.writeFileSync(path.join(home, 'tiocsti-out.pl'), tiocsti('STDOUT'));
  // One TIOCSTI on the caller's own controlling terminal: "ok" or the errno number.
  const probe = 'ioctl(STDIN, 0x5412, my $c = "x") ? print("ok\\n") : print(($! + 0), "\\n");\n';
  fs.writeFileSync(path.join(home, 'tiocsti-probe.pl'), probe);
  fs.writeFileSync(path.join(e.dir, 'tiocsti-probe.pl'), probe);
  const legacy = fs.readFileSync('/proc/sys/dev/tty/legacy_tiocsti', 'utf8').trim() === '1';
  // script(1)'s stdin stays open until the command is done: at EOF script would send the terminal
  // an end-of-file of its own, racing with (and swallowing) what was injected.
  const onTerminal = async (command: string) => {
    const child = execa('script', ['--quiet', '--return', '--command', command, '/dev/null'], { env: { ...e.env, SHELL: '/bin/bash' }, extendEnv: false, reject: false, stdin: 'pipe', timeout: 45_000 });
    const r = await child;
    return String(r.stdout);
  };

  // The filter: a process inside with a terminal of its own as its controlling terminal, which is
  // what TIOCSTI needs, is refused with the filter's EPERM. The same call on the host reaches the
  // kernel, which allows it (dev.tty.legacy_tiocsti=1) or answers EIO (=0): never EPERM, so the
  // EPERM inside is the filter's and not the kernel's, whatever this kernel's setting.
  const onHost = await execa('script', ['--quiet', '--return', '--command', `perl ${e.dir}/tiocsti-probe.pl`, '/dev/null'], { env: { ...e.env, SHELL: '/bin/sh' }, extendEnv: false, stdin: 'pipe', timeout: 30_000 });
  // (The terminal echoes an injected "x" as it arrives, before or after the answer.)
  assert.equal(String(onHost.stdout).replace('x', '').trim(), legacy ? 'ok' : '5');
  const inner = await inside('hostname; script --quiet --return --command "perl /root/tiocsti-probe.pl" /dev/null </dev/null');
  assert.deepEqual(inner.stdout.split(/\r?\n/).filter(Boolean), ['secbox', '1'], inner.stderr);

  // The terminal: what runs inside never shares the attaching terminal.
  const cmd = `node ${BIN} exec secbox -- perl /root/tiocsti.pl; read -t 2 line; echo "AFTER:[$line]"`;
  const out = await onTerminal(cmd);
  assert.match(out, /tried/);
  assert.match(out, /AFTER:\[\]/, `nothing was injected into the outer terminal: ${out}`);
  assert.doesNotMatch(out, /AFTER:\[echo PWNED/);
  // Control: the same injection run straight on that terminal does arrive, where the kernel still
  // allows TIOCSTI at all, so the check above can see an injection. The kernel hands injected
  // input to the terminal's line discipline from a work queue: the reader waits for the line.
  if (legacy) {
    fs.copyFileSync(path.join(home, 'tiocsti.pl'), path.join(e.dir, 'tiocsti.pl'));
    const ctl = await onTerminal(`perl ${e.dir}/tiocsti.pl; read -t 30 line; echo "AFTER:[$line]"`);
    assert.match(ctl, /AFTER:\[echo PWNED\]/);
  }
  // Without a terminal, the attached process has none to target at all.
  const r2 = await inside('perl /root/tiocsti-out.pl');
  assert.match(r2.stdout, /ioctl: /);
});

test('nothing of ours is setuid or has file capabilities', async () => {
  const root = path.resolve(path.dirname(BIN), '..');
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      if (ent.name === 'node_modules' || ent.name === '.git') continue;
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile() && (fs.statSync(p).mode & 0o6000) !== 0) found.push(p);
    }
  };
  // Controls: the walk finds a setuid and a setgid file, and getcap a file with a capability
  // (set from a user namespace of ours, so no privilege is needed: a namespaced file capability).
  const ctlDir = path.join(e.dir, 'setuid-control');
  fs.mkdirSync(ctlDir);
  for (const [f, mode] of [['suid', 0o4755], ['sgid', 0o2755]] as const) {
    fs.copyFileSync('/bin/true', path.join(ctlDir, f));
    fs.chmodSync(path.join(ctlDir, f), mode);
  }
  fs.copyFileSync('/bin/true', path.join(ctlDir, 'capped'));
  await execa('unshare', ['--user', '--map-root-user', 'setcap', 'cap_net_raw+ep', path.join(ctlDir, 'capped')]);
  walk(ctlDir);
  assert.deepEqual(found.sort(), [path.join(ctlDir, 'sgid'), path.join(ctlDir, 'suid')]);
  const ctlCaps = await execa('getcap', ['-r', ctlDir], { reject: false });
  assert.match(String(ctlCaps.stdout), /capped cap_net_raw[=+]ep/);
  found.length = 0;

  walk(root);
  assert.deepEqual(found, []);
  const caps = await execa('getcap', ['-r', path.join(root, 'bin'), path.join(root, 'dist')], { reject: false });
  assert.equal(caps.exitCode, 0, String(caps.stderr));
  assert.equal(String(caps.stdout).trim(), '');
  // Every sandbox process runs as the user on the host.
  const info = JSON.parse(await e.ok(['info', 'secbox', '--json']));
  assert.ok(info.pids.length >= 1, 'the sandbox has processes to check');
  for (const p of info.pids) {
    const st = fs.readFileSync(`/proc/${p.host}/status`, 'utf8');
    assert.match(st, new RegExp(`^Uid:\\s+${process.getuid!()}\\s`, 'm'));
  }
});

test('a profile\'s environment acts only inside: BASH_ENV and ENV do not reach host-side shells', async () => {
  const marker = path.join(e.dir, 'host-side-ran');
  const hook = path.join(e.dir, 'hook.sh');
  fs.writeFileSync(hook, `touch ${marker}\n`);
  const p = writeProfile(e, 'envy', `apiVersion: sandtray/v1\nenv:\n  BASH_ENV: ${hook}\n  ENV: ${hook}\n`);
  const r = await e.run(['run', '--profile', p, '--', 'sh', '-c', 'echo "$BASH_ENV"']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), hook, 'the variable is set inside');
  assert.ok(!fs.existsSync(marker), 'no host-side shell read BASH_ENV');
});
