// The kernel-enforced boundary: locked mounts, root inside with least privilege, the seccomp filter,
// a fresh session keyring. Each attack is first shown to work without the protection (on the host,
// where the user's own user namespace owns the mount namespace, or with no filter loaded), then
// shown to fail inside, in a sandbox checked to be alive and running the command.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cmdlinesWith, sandtrayEnv, writeProfile } from '../lib/sandtray.js';
import { capMask, DEFAULT_CAPS } from '../../helpers/confine/caps.js';
import { SECCOMP_RULES, seccompArch, syscallNumber } from '../../helpers/confine/seccomp.js';

const T = { timeout: 120_000 };
const e = sandtrayEnv('boundary');
let roDir = '';
let canary = '';

before(async () => {
  roDir = fs.mkdtempSync(path.join(e.dir, 'ro-'));
  canary = path.join(roDir, 'authorized_keys');
  fs.writeFileSync(canary, 'original\n');
  const pts = fs.existsSync('/dev/pts/ptmx') ? '  - {source: /dev/pts, target: /hostpts}\n' : '';
  // Root inside asks for CAP_SYS_ADMIN: the filter then lets mount(2) through, so what refuses
  // the remounts below can only be the kernel's lock on mounts of a more privileged namespace.
  const admin = writeProfile(e, 'admin', `apiVersion: sandtray/v1\ncapabilities: [SYS_ADMIN]\nmounts:\n  - {source: ${roDir}, target: /ro}\n${pts}`);
  const plain = writeProfile(e, 'plain', `apiVersion: sandtray/v1\nmounts:\n  - {source: ${roDir}, target: /ro}\n`);
  const netadmin = writeProfile(e, 'netadmin', 'apiVersion: sandtray/v1\ncapabilities: [NET_ADMIN]\n');
  await e.ok(['launch', 'admin', '--profile', admin]);
  await e.ok(['launch', 'plain', '--profile', plain]);
  await e.ok(['launch', 'netadmin', '--profile', netadmin]);
  await e.ok(['launch', 'nest', '--set', 'nesting=true']);
});
after(() => e.cleanup());

const inside = async (name: string, script: string) => {
  const r = await e.run(['exec', name, '--', '/bin/sh', '-c', script]);
  return r;
};
/** Runs a script inside and checks the sandbox really ran it (its hostname answers first). */
const ran = async (name: string, script: string) => {
  const r = await inside(name, `hostname; ${script}`);
  const [host, ...rest] = r.stdout.split('\n');
  assert.equal(host, name, `the command ran inside ${name}: ${r.stderr}`);
  return { ...r, stdout: rest.join('\n') };
};

function statusField(text: string, field: string): string {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? '';
}

test('positive control: in a mount namespace of the user\'s own user namespace, a read-only bind is made writable and the host file changes', T, async () => {
  const dir = fs.mkdtempSync(path.join(e.dir, 'naive-'));
  fs.writeFileSync(path.join(dir, 'f'), 'original\n');
  const r = await execa('unshare', ['-Urm', 'sh', '-c', `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && ! (echo x > "$1/f") 2>/dev/null && mount -o remount,bind,rw "$1" && echo changed > "$1/f"`, 'sh', dir], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'changed\n');
});

test('every mount from the host is locked: root inside with CAP_SYS_ADMIN cannot clear ro, nodev, nosuid or noexec on any of them', T, async () => {
  const st = await ran('admin', 'grep -E "^(CapEff|Seccomp):" /proc/self/status');
  assert.equal(BigInt(`0x${statusField(st.stdout, 'CapEff')}`) & (1n << 21n), 1n << 21n, 'root inside holds CAP_SYS_ADMIN here');
  // The filter lets mount through in this sandbox: a mount namespace of its own takes a tmpfs.
  const own = await ran('admin', 'unshare -m sh -c "mount -t tmpfs probe /tmp && echo mounted"');
  assert.match(own.stdout, /^mounted$/m, own.stderr);
  const script = [
    'n=0',
    'while read -r id parent dev root mp opts rest; do',
    '  for want in rw dev suid exec; do',
    '    case "$want,,$opts," in rw,*,ro,*|dev,*nodev*|suid,*nosuid*|exec,*noexec*) ;; *) continue ;; esac',
    '    n=$((n+1))',
    '    if mount -o "remount,bind,$want" "$mp" 2>/dev/null; then echo "GAVE $want $mp"; else echo "held $want $mp"; fi',
    '  done',
    'done < /proc/self/mountinfo',
    'umount /ro 2>/dev/null && echo "GAVE umount /ro" || echo "held umount /ro"',
    'echo tried=$n',
  ].join('\n');
  const r = await ran('admin', script);
  assert.doesNotMatch(r.stdout, /^GAVE/m, r.stdout);
  assert.match(r.stdout, /^held rw \/ro$/m);
  assert.match(r.stdout, /^held rw \/usr$/m);
  assert.match(r.stdout, /^held umount \/ro$/m);
  if (fs.existsSync('/dev/pts/ptmx')) assert.match(r.stdout, /^held dev \/hostpts$/m, 'a bound /dev/pts stays nodev');
  assert.ok(Number(/tried=(\d+)/.exec(r.stdout)?.[1]) >= 5, r.stdout);
  // Neither a new mount namespace (its copies are locked) nor plain writes change the host file.
  const again = await ran('admin', 'unshare -m sh -c "mount -o remount,bind,rw /ro && echo GAVE"; echo pwned > /ro/authorized_keys || echo write-refused');
  assert.doesNotMatch(again.stdout, /GAVE/);
  assert.match(again.stdout, /write-refused/);
  assert.equal(fs.readFileSync(canary, 'utf8'), 'original\n');
});

test('a nesting sandbox cannot change the sandtray CLI it is given, though it may mount in namespaces of its own', T, async () => {
  const r = await ran('nest', [
    'ls /opt/sandtray/app/package.json >/dev/null && echo has-cli',
    'unshare -Urm sh -c "mount -t tmpfs t /tmp && echo own-mount"',
    'unshare -Urm sh -c "mount -o remount,bind,rw /opt/sandtray/app/dist && echo GAVE-dist; mount -o remount,bind,rw /opt/sandtray/app/package.json && echo GAVE-pkg"',
    'echo x >> /opt/sandtray/app/package.json 2>/dev/null && echo GAVE-write || echo write-refused',
  ].join('\n'));
  assert.match(r.stdout, /^has-cli$/m);
  assert.match(r.stdout, /^own-mount$/m, r.stderr);
  assert.doesNotMatch(r.stdout, /GAVE/);
  assert.match(r.stdout, /^write-refused$/m);
});

test('positive control: entering a user namespace grants every capability in it', T, async () => {
  const r = await execa('unshare', ['-Ur', 'grep', '^CapEff:', '/proc/self/status']);
  assert.ok(BigInt(`0x${statusField(r.stdout, 'CapEff')}`) >= 0x1ffffffffffn, r.stdout);
});

test('root inside holds podman\'s capability set, in pid 1 and in every attached process, with no_new_privs and the filter', T, async () => {
  const [lo, hi] = capMask(DEFAULT_CAPS);
  const want = ((BigInt(hi) << 32n) | BigInt(lo)).toString(16).padStart(16, '0');
  const r = await ran('plain', 'cat /proc/1/status; echo ---; cat /proc/self/status');
  const [init, self] = r.stdout.split('---\n');
  for (const [who, text] of [['pid 1', init!], ['exec', self!]] as const) {
    for (const f of ['CapEff', 'CapPrm', 'CapBnd']) assert.equal(statusField(text, f), want, `${who} ${f}`);
    assert.equal(statusField(text, 'CapAmb'), '0000000000000000', `${who} CapAmb`);
    assert.equal(statusField(text, 'CapInh'), '0000000000000000', `${who} CapInh`);
    assert.equal(statusField(text, 'NoNewPrivs'), '1', `${who} NoNewPrivs`);
    assert.equal(statusField(text, 'Seccomp'), '2', `${who} Seccomp`);
    assert.equal(statusField(text, 'Uid'), '0', `${who} is root inside`);
  }
  // What the set allows and refuses: chown yes, network configuration no.
  const w = await ran('plain', 'touch /tmp/f && chown 1000:1000 /tmp/f && echo chown-ok; ip link set lo mtu 1400 2>&1 || echo netadmin-refused');
  assert.match(w.stdout, /^chown-ok$/m);
  assert.match(w.stdout, /netadmin-refused/);
  // A shell gets the same (attach drops what nsenter-style entering would grant).
  const sh = await e.run(['shell', 'plain'], { input: 'grep -E "^(CapEff|Seccomp):" /proc/self/status\nexit\n' });
  assert.match(sh.stdout, new RegExp(`CapEff:\\s*${want}`));
});

test('capabilities a profile asks for are held, and act on the sandbox\'s own network', T, async () => {
  const r = await ran('netadmin', 'grep ^CapEff: /proc/self/status; ip link set lo mtu 1400 && ip -o link show lo');
  assert.equal(BigInt(`0x${statusField(r.stdout, 'CapEff')}`) & (1n << 12n), 1n << 12n, 'CAP_NET_ADMIN');
  assert.match(r.stdout, /mtu 1400/, r.stderr);
  const info = await e.ok(['info', 'netadmin']);
  assert.match(info, /NET_ADMIN/);
});

// One system call per refused family, with arguments that make the kernel answer without side
// effects on the host: the host's answer differs from the filter's.
const PROBE = `
open(my $null, '<', '/dev/null') or die;
for my $spec (@ARGV) {
  my ($name, @a) = split /:/, $spec, -1;
  my $pid = fork();
  if (!$pid) {
    @a = map { $_ eq 'FD' ? fileno($null) : /^0x[0-9a-f]+$/i ? hex($_) : /^-?\\d+$/ ? $_ + 0 : $_ } @a;
    my $r = syscall($a[0], @a[1 .. $#a]);
    print "$name ", ($r < 0 ? 'errno=' . ($! + 0) : 'ok'), "\\n";
    exit 0;
  }
  waitpid($pid, 0);
}`;

function probes(): { name: string; syscall: string; spec: string }[] {
  const arch = seccompArch()!;
  const nr = (n: string) => syscallNumber(arch, n as Parameters<typeof syscallNumber>[1]);
  const list: [string, string, (string | number)[]][] = [
    ['keyctl', 'keyctl', [0, -3, 0]],
    ['add_key', 'add_key', ['user', 'sandtray-probe', 'x', 1, -2]],
    ['request_key', 'request_key', ['user', 'sandtray-absent', 0, 0]],
    ['perf_event_open', 'perf_event_open', [0, 0, -1, -1, 0]],
    ['userfaultfd', 'userfaultfd', [1]],
    ['bpf', 'bpf', [9999, 0, 0]],
    ['kexec_load', 'kexec_load', [0, 0, 0, 0]],
    ['finit_module', 'finit_module', [-1, '', 0]],
    ['delete_module', 'delete_module', ['sandtray-none', 0]],
    ['syslog', 'syslog', [10, 0, 0]],
    ['acct', 'acct', [0]],
    ['open_by_handle_at', 'open_by_handle_at', [-1, 0, 0]],
    ['personality', 'personality', ['0x0040000']],
    ['tiocsti', 'ioctl', ['FD', '0x5412', 'x']],
    ['tioclinux', 'ioctl', ['FD', '0x541c', 'x']],
    ['unshare', 'unshare', ['0x10000000']],
    ['clone3', 'clone3', [0, 0]],
    ['fsopen', 'fsopen', ['tmpfs', 0]],
    ['move_pages', 'move_pages', [0, 0, 0, 0, 0, 0]],
    ['io_uring_setup', 'io_uring_setup', [1, 0]],
  ];
  if (arch === 'x86_64') list.push(['iopl', 'iopl', [0]]);
  return list.map(([name, syscall, args]) => ({ name, syscall, spec: [name, nr(syscall), ...args].join(':') }));
}

function parseProbe(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
}

test('every refused family of system calls reaches the kernel on the host and gets the filter\'s answer inside', T, async () => {
  const ps = probes();
  const host = parseProbe((await execa('perl', ['-e', PROBE, ...ps.map((p) => p.spec)])).stdout);
  const r = await ran('plain', `perl -e '${PROBE.replace(/'/g, `'\\''`)}' ${ps.map((p) => `'${p.spec}'`).join(' ')}`);
  const sandbox = parseProbe(r.stdout);
  for (const p of ps) {
    const rule = SECCOMP_RULES.find((x) => (x.syscalls as readonly string[]).includes(p.syscall))!;
    const want = `errno=${rule.errno === 'EPERM' ? 1 : 38}`;
    assert.equal(sandbox[p.name], want, `${p.name} inside`);
    assert.ok(host[p.name], `${p.name} ran on the host`);
    // A kernel built without a call (no modules, no kexec, no iopl) answers ENOSYS itself: there
    // the host cannot show the difference, and the unit test's interpreter vouches for the rule.
    if (host[p.name] === 'errno=38' && want === 'errno=38') continue;
    assert.notEqual(host[p.name], want, `${p.name}: on the host the kernel answers (${host[p.name]}), not the filter`);
  }
  // These exist on every kernel Sandtray runs on, so the host always shows them reaching the kernel.
  for (const name of ['keyctl', 'add_key', 'perf_event_open', 'bpf', 'personality', 'tiocsti', 'unshare', 'clone3', 'fsopen', 'syslog', 'acct']) {
    assert.notEqual(host[name], sandbox[name], name);
  }
});

test('the owner\'s kernel keyrings stay outside: attached processes start in a session keyring of their own and cannot call keyctl', T, async () => {
  const arch = seccompArch()!;
  const keyctl = syscallNumber(arch, 'keyctl');
  // The owner's session keyring holds a key only its possessors may see (KEYCTL_SETPERM to
  // possessor-only); the CLI runs in that session, so without a fresh keyring inside, processes
  // there would possess the key and /proc/keys would list it.
  const owner = `
    my ($session, $type, $desc, $payload) = ("sandtray-owner", "user", "sandtray-owner-canary", "s3cret");
    syscall(${keyctl}, 1, $session) >= 0 or die "join: $!";
    my $id = syscall(${syscallNumber(arch, 'add_key')}, $type, $desc, $payload, 6, -3);
    $id > 0 or die "add_key: $!";
    syscall(${keyctl}, 5, $id, 0x3f000000) == 0 or die "setperm: $!";
    open(my $k, '<', '/proc/keys') or die; my $seen = grep { /sandtray-owner-canary/ } <$k>; close $k;
    print "owner-sees=$seen\n";
    open(my $u, '<', '/proc/key-users') or die; my $me = $<; my $mine = grep { /^\\s*$me:/ } <$u>; close $u;
    print "owner-key-users=$mine\n";
    exec { $ARGV[0] } @ARGV;`;
  const probe = `hostname; grep -c sandtray-owner-canary /proc/keys 2>&1; if k=$(cat /proc/key-users 2>/dev/null); then echo key-users=$(printf '%s\\n' "$k" | grep -c :); else echo key-users=hidden; fi; perl -e 'print syscall(${keyctl}, 0, -3, 0) < 0 ? "keyctl=" . ($! + 0) : "keyctl-ok", "\\n"'`;
  const cli = `${process.execPath} ${path.join(process.cwd(), 'bin', 'sandtray.js')}`;
  const both = `${cli} exec plain -- /bin/sh -c "$1"; echo ---; ${cli} exec nest -- /bin/sh -c "$1"`;
  const r = await execa('perl', ['-e', owner, '/bin/sh', '-c', both, 'sh', probe], { env: e.env, extendEnv: false, reject: false });
  assert.match(r.stdout, /^owner-sees=1$/m, `positive control: the owner possesses and sees the key (${r.stderr})`);
  // Outside, /proc/key-users has a line for the owner, with how many keys it holds.
  assert.match(r.stdout, /^owner-key-users=1$/m, 'positive control: the owner sees its own line of key counts');
  const [plain, nest] = r.stdout.split('---\n').map((x) => x.split('\n'));
  // A default sandbox (after the two lines of the control): /proc/keys is hidden, keyctl refused.
  assert.equal(plain![2], 'plain', r.stderr);
  assert.match(plain![3]!, /Permission denied|^0$/);
  // ... and so are the owner's key counts.
  assert.match(plain![4]!, /^key-users=(hidden|0)$/);
  assert.equal(plain![5], 'keyctl=1');
  // A nesting sandbox keeps /proc whole: the key is not listed, so the process does not possess
  // the owner's session keyring; keyctl is refused there too.
  assert.equal(nest![0], 'nest', r.stderr);
  assert.equal(nest![1], '0');
  // The counts are there where /proc is whole, as outside: what the default sandbox hides.
  assert.match(nest![2]!, /^key-users=[1-9]\d*$/);
  assert.equal(nest![3], 'keyctl=1');
});

/** Waits (bounded) until a process with needle on its command line exists. */
async function appears(needle: string): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (cmdlinesWith(needle).length) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('profile env values and exec --env values never appear on a host command line', T, async () => {
  const p = writeProfile(e, 'envbox', 'apiVersion: sandtray/v1\nenv: {API_TOKEN: s3cret-profile-token}\n');
  await e.ok(['launch', 'envbox', '--profile', p]);
  // Positive control: a secret passed on a command line is found by the same scan.
  const control = execa('/bin/sh', ['-c', 'sleep 10', 'sh', 's3cret-control-token'], { stdio: 'ignore' });
  assert.ok(await appears('s3cret-control-token'), 'the scan sees argv');
  control.kill('SIGKILL');
  await control.catch(() => undefined);
  // While an exec with --env runs inside, neither value is on any command line; both reach the process.
  // `--env NAME` passes our own $NAME on, so the value is not even on the CLI's command line.
  const run = e.run(['exec', 'envbox', '--env', 'EXEC_TOKEN', '--', '/bin/sh', '-c', 'echo "$API_TOKEN $EXEC_TOKEN"; sleep 2', 'sandtray-env-probe'], { env: { ...e.env, EXEC_TOKEN: 's3cret-exec-token' } });
  // Scanned while the command runs inside (its $0 is on its own command line).
  assert.ok(await appears('sandtray-env-probe'), 'the command inside is running');
  const seen = [...cmdlinesWith('s3cret-profile-token'), ...cmdlinesWith('s3cret-exec-token')];
  const r = await run;
  assert.equal(r.stdout.trim(), 's3cret-profile-token s3cret-exec-token', r.stderr);
  assert.deepEqual(seen, []);
  // Nor does the environment file the exec step read stay behind.
  const rt = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'envbox');
  assert.deepEqual(fs.readdirSync(rt).filter((f) => f.endsWith('.env')), []);
});

test('an attaching process cannot be traced from inside before it is confined', T, async () => {
  const arch = seccompArch()!;
  if (arch !== 'x86_64' && arch !== 'aarch64') return;
  const ptrace = arch === 'x86_64' ? 101 : 117;
  // Root inside traces every new process it can (PTRACE_SEIZE), as fast as it can, and reports the
  // state of each it caught. Positive control first: it catches an ordinary process inside.
  // Pids in a pid namespace are handed out in order, so it spins on the next few: the fastest a
  // local attacker can be. The fix makes a catch impossible, whatever the timing.
  const tracer = `
    my $end = time + 25; my $self = $$;
    my $victim = fork(); if (!$victim) { exec "sleep", "60" }
    my $next = $victim + 1; my %seen;
    while (time < $end && ! -e "/tmp/stop") {
      for my $p ($next .. $next + 3) {
        next if $seen{$p};
        if (syscall(${ptrace}, 0x4206, $p + 0, 0, 0) == 0) {
          $seen{$p} = 1; $next = $p + 1 if $p >= $next;
          open(my $f, "<", "/proc/$p/status") or next; my $st = join "", <$f>;
          my ($sc) = $st =~ /^Seccomp:\\s+(\\d)/m; my ($cap) = $st =~ /^CapEff:\\s+(\\S+)/m;
          print STDOUT ($sc eq "2" ? "seized-confined" : "WON seccomp=$sc caps=$cap"), "\\n";
          # Let it go again: stop it (PTRACE_INTERRUPT), reap the stop, detach.
          syscall(${ptrace}, 0x4207, $p + 0, 0, 0); waitpid($p, 0x40000000); syscall(${ptrace}, 17, $p + 0, 0, 0);
        } elsif (-e "/proc/$p") { $seen{$p} = 1; $next = $p + 1 if $p >= $next }
      }
    }
    print STDOUT (syscall(${ptrace}, 0x4206, $victim + 0, 0, 0) == 0 ? "control-seized" : "control-failed $!"), "\\n";
    kill 9, $victim;`;
  const bg = e.run(['exec', 'plain', '--', 'perl', '-e', tracer]);
  // The tracer runs once its control process (sleep 60) does.
  assert.ok(await appears('sleep\u000060'), 'the tracer is running');
  for (let i = 0; i < 20; i++) await e.run(['exec', 'plain', '--', 'true']);
  await e.run(['exec', 'plain', '--', 'touch', '/tmp/stop']);
  const r = await bg;
  assert.match(r.stdout, /^control-seized$/m, `the tracer works inside: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /WON/, r.stdout);
});

test('a link planted in a writable mount cannot re-point another mount\'s source at the next start', T, async () => {
  const work = fs.mkdtempSync(path.join(e.dir, 'work-'));
  const secret = fs.mkdtempSync(path.join(e.dir, 'secret-'));
  fs.writeFileSync(path.join(secret, 'id_rsa'), 'PRIVATE KEY\n');
  fs.mkdirSync(path.join(work, 'shared'));
  fs.writeFileSync(path.join(work, 'shared', 'notes'), 'shared notes\n');
  const p = writeProfile(e, 'relink', `apiVersion: sandtray/v1\nmounts:\n  - {source: ${work}, target: /work, readOnly: false}\n  - {source: ${work}/shared, target: /shared}\n`);
  await e.ok(['launch', 'relink', '--profile', p]);
  assert.equal((await ran('relink', 'cat /shared/notes')).stdout.trim(), 'shared notes');
  // The sandbox swaps the folder for a link to a folder of the owner's it was never given.
  await ran('relink', `mv /work/shared /work/shared.orig && ln -s ${secret} /work/shared && echo swapped`);
  assert.ok(fs.lstatSync(path.join(work, 'shared')).isSymbolicLink(), 'the link is there on the host');
  // Positive control: a plain bind of that path (what bwrap alone would do) leads to the secret.
  const plain = await execa('bwrap', ['--ro-bind', '/', '/', '--ro-bind', path.join(work, 'shared'), '/mnt', 'cat', '/mnt/id_rsa'], { reject: false });
  assert.equal(plain.stdout, 'PRIVATE KEY', plain.stderr);
  await e.ok(['stop', 'relink']);
  const r = await e.run(['start', 'relink']);
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /passes through a symbolic link: .*shared -> /);
  assert.equal((await e.ok(['list', '--json'])).includes('"relink"'), true);
  assert.match(await e.ok(['info', 'relink']), /STOPPED/);
});

test('a link planted in the sandbox\'s home cannot make bwrap create mount points outside it', T, async () => {
  const victim = fs.mkdtempSync(path.join(e.dir, 'victim-'));
  const src = fs.mkdtempSync(path.join(e.dir, 'src-'));
  const p = writeProfile(e, 'mpoint', `apiVersion: sandtray/v1\nmounts:\n  - {source: ${src}, target: /root/a/b}\n`);
  await e.ok(['launch', 'mpoint', '--profile', p]);
  // /oldroot is where bwrap sees the host while it sets the sandbox up.
  await ran('mpoint', `mv /root/a /root/a.old && ln -s /oldroot${victim} /root/a && echo planted`);
  await e.ok(['stop', 'mpoint']);
  const r = await e.run(['start', 'mpoint']);
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /would go through \/root\/a, a symbolic link/);
  assert.deepEqual(fs.readdirSync(victim), [], 'nothing was created in the folder the link names');
  // Positive control: bwrap alone, given the same home and target, creates the mount point there.
  const home = path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'mpoint', 'home');
  await execa('bwrap', ['--ro-bind', '/', '/', '--bind', home, '/root', '--ro-bind', src, '/root/a/b', 'true'], { reject: false });
  assert.deepEqual(fs.readdirSync(victim), ['b'], 'without the check, bwrap follows the planted link');
});
