// sandtray-enter: the last step before anything of a sandbox runs, for pid 1 and for every attach.
//
// It is a short Perl program (perl-base is part of every Debian and Ubuntu system) because what
// it does are system calls no command-line tool of the base system offers together: join the
// sandbox's user namespace last, start a fresh kernel session keyring, lower the capability
// bounding set and the capabilities, set no_new_privs and load the seccomp filter, then exec.
// Node cannot do it: these calls act on the calling thread, and the result must be inherited by
// the exec'd program.
//
// Two modes:
// - init (`userns-fd=N`): bwrap runs it as the sandbox's pid 1 in the outer user namespace, with
//   the mounts already made; it joins the sandbox's user namespace from the descriptor bwrap
//   passed on, then confines itself and stays, as the init (a started sandbox), or runs its
//   payload as its only child (`run`).
// - attach (`target=PID owner=PID`): run on the host. It opens every namespace of the sandbox's
//   pid 1 and the outer user namespace (held by bwrap's monitor, pid 1's parent), enters the outer
//   one (which owns the others) and the others, takes pid 1's root, enters the sandbox's user
//   namespace and confines itself; only then does it fork the process that appears in the
//   sandbox's pid namespace. It is undumpable from its first line to the exec, so root inside
//   cannot ptrace it on the way. Nothing is executed from the sandbox's file system while this
//   process still holds capabilities over the outer namespace.
//   The environment comes from a private file that it reads and removes before entering, so no
//   value appears in any argv (`ps`) on the host.
//
// Both modes close every descriptor above stdio before the exec.
import { capMask, type CapName } from './caps.js';
import { syscallNumber, type SyscallArch } from './syscalls.js';

/** Name that `ps` shows for pid 1 of a started sandbox, the init (rules in plan/init-script.ts). */
export const INIT_NAME = 'sandtray-init';

export const ENTER_SCRIPT = String.raw`
my (%o, @cmd);
while (@ARGV) { my $a = shift @ARGV; last if $a eq '--'; my ($k, $v) = split /=/, $a, 2; $o{$k} = $v; }
@cmd = @ARGV;
my %nr = map { split /:/ } split /,/, $o{nr};
sub fail { my $m = shift; $m =~ s/[^\x20-\x7e]/?/g; print STDERR "sandtray: $m\n"; exit 126 }
sub sc { my $name = shift; my $r = syscall($nr{$name}, @_); $r }
my %NS = (user => 0x10000000, mnt => 0x00020000, uts => 0x04000000, ipc => 0x08000000, net => 0x40000000, pid => 0x20000000, cgroup => 0x02000000);
# Errors are compared by number (EINTR 4, EPERM 1, EINVAL 22, ENOSYS 38): %! would load Errno.pm
# from @INC, and after the chroot @INC (/etc/perl first) lies in the sandbox's file system.
sub err { ($! + 0) == $_[0] }
# Not dumpable until the exec: once this process is in the sandbox's pid namespace, root inside
# (same uid, and as many capabilities) could otherwise ptrace it before it is confined.
sc('prctl', 4, 0, 0, 0, 0) == 0 or fail("cannot make the process undumpable: $!");
# Under a filter already (a nested sandbox), keyctl is refused to us and to everything we start.
sub filtered { open(my $s, '<', '/proc/self/status') or return 0; while (<$s>) { return 1 if /^Seccomp:\s+2/ } 0 }
my $underfilter = filtered();
my $env;
#<exec
if (defined $o{envfile}) {
  open(my $ef, '<', $o{envfile}) or fail("cannot read the environment file: $!");
  local $/; $env = <$ef>; close $ef; unlink $o{envfile};
} elsif (defined $o{envfd}) {
  open(my $ef, '<&=', $o{envfd} + 0) or fail("cannot read the environment: $!");
  local $/; $env = <$ef>; close $ef;
}
#>exec
#<init
if (defined $o{'userns-fd'}) {
  sc('setns', $o{'userns-fd'} + 0, $NS{user}) == 0 or fail("cannot enter the sandbox's user namespace: $!");
  if ($o{newnet}) {
    # The network namespace belongs to the sandbox's user namespace, so that the engine configures
    # it as root there and capabilities a profile asks for (NET_ADMIN, NET_BIND_SERVICE) apply.
    sc('unshare', $NS{net}) == 0 or fail("cannot make the sandbox's network namespace: $!");
    socket(my $s, 2, 2, 0) or fail("socket: $!");
    my $ifr = pack('a16 s x22', 'lo', 0);
    ioctl($s, 0x8913, $ifr) or fail("cannot read the loopback interface: $!");
    my $flags = unpack('x16 s', $ifr);
    ioctl($s, 0x8914, pack('a16 s x22', 'lo', $flags | 1)) or fail("cannot bring up the loopback interface: $!");
    close $s;
    # ping without CAP_NET_RAW: ICMP sockets for every group inside, as podman sets it.
    my $max = 0;
    if (open(my $gm, '<', '/proc/self/gid_map')) { while (<$gm>) { my ($in, $out, $n) = split; $max = $in + $n - 1 if $in + $n - 1 > $max } close $gm }
    if (open(my $pg, '>', '/proc/sys/net/ipv4/ping_group_range')) { print $pg "0 $max\n"; close $pg }
  }
}
#>init
#<attach
if (!defined $o{'userns-fd'}) {
  my $t = $o{target};
  open(my $owner, '<', "/proc/$o{owner}/ns/user") or fail("the sandbox is gone ($!)");
  my @fds;
  for my $n (split /,/, $o{ns}) { open(my $f, '<', "/proc/$t/ns/$n") or fail("the sandbox is gone ($!)"); push @fds, [$n, $f]; }
  open(my $inner, '<', "/proc/$t/ns/user") or fail("the sandbox is gone ($!)");
  opendir(my $root, "/proc/$t/root") or fail("the sandbox is gone ($!)");
  # The descriptors are open: check they are still those of the sandbox's pid 1, not of a process
  # that took a recycled pid meanwhile.
  for my $p ([$t, $o{start}], [$o{owner}, $o{ownerstart}]) {
    open(my $st, '<', "/proc/$p->[0]/stat") or fail('the sandbox is gone');
    my $stat = <$st>; close $st; $stat =~ s/^.*\) //;
    (split / /, $stat)[19] eq $p->[1] or fail('the sandbox is gone');
  }
  sc('setns', fileno($owner), $NS{user}) == 0 or fail("cannot enter the sandbox's namespaces: $!");
  for my $p (@fds) { sc('setns', fileno($p->[1]), $NS{$p->[0]}) == 0 or fail("cannot enter the sandbox's $p->[0] namespace: $!"); }
  chdir($root) or fail("cannot reach the sandbox's root: $!");
  chroot('.') or fail("cannot reach the sandbox's root: $!");
  sc('setns', fileno($inner), $NS{user}) == 0 or fail("cannot enter the sandbox's user namespace: $!");
}
#>attach
# Root inside; the host's supplementary groups stay behind where the map allows setgroups.
sc('setgroups', 0, 0) == 0 or err(1) or err(22) or fail("setgroups: $!");
# A new, empty session keyring: the owner's stays behind. Refused only where keyctl is already
# filtered (a nested sandbox): then nothing here can reach any keyring anyway.
if (sc('keyctl', 1, 0) < 0 && !err(38) && !(err(1) && $underfilter)) { fail("cannot start a new session keyring: $!") }
my ($lo, $hi) = split /:/, $o{caps};
for my $c (0 .. 63) {
  my $keep = $c < 32 ? ($lo >> $c) & 1 : ($hi >> ($c - 32)) & 1;
  next if $keep;
  if (sc('prctl', 24, $c, 0, 0, 0) < 0) { last if err(22); fail("cannot lower the capability bounding set: $!") }
}
sc('prctl', 47, 4, 0, 0, 0);
sc('capset', pack('LL', 0x20080522, 0), pack('L6', $lo, $lo, 0, $hi, $hi, 0)) == 0 or fail("capset: $!");
sc('prctl', 38, 1, 0, 0, 0) == 0 or fail("no_new_privs: $!");
my $prog = pack('H*', $o{seccomp});
sc('seccomp', 1, 0, pack('S x![P] P', length($prog) / 8, $prog)) == 0 or fail("cannot load the seccomp filter: $!");
# Attach: only now, confined, fork the process that appears in the sandbox's pid namespace. This
# one stays outside to wait and pass signals on; the child leads a session of its own, so that
# a signal to "every process in my group" from inside never reaches this one.
#<attach
if (!defined $o{'userns-fd'}) {
  my $pid = fork();
  defined $pid or fail("fork: $!");
  if ($pid) {
    for my $s (qw(INT TERM HUP QUIT USR1 USR2 WINCH)) { $SIG{$s} = sub { kill $_[0], $pid } }
    while (waitpid($pid, 0) < 0) { last unless err(4) }
    exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
  }
  sc('setsid') >= 0 or fail("setsid: $!");
  # Out of the caller's session, a hangup there would no longer reach us: if the process outside
  # goes (a closed terminal tab, a killed CLI), this one gets the hangup a terminal would give.
  sc('prctl', 1, 1, 0, 0, 0);
}
#>attach
if (sc('close_range', 3, 0xffffffff, 0) < 0) { for my $fd (3 .. 1023) { sc('close', $fd) } }
# A one-off sandbox (sandtray run): pid 1 dies with bwrap's monitor, and so with the CLI, even by SIGKILL.
# Set last, once no credential changes any more (a change of credentials clears it).
if ($o{pdeath}) { sc('prctl', 1, 9, 0, 0, 0) == 0 or fail("cannot tie the sandbox to its caller: $!") }
# A one-off sandbox (sandtray run): this process stays pid 1 and the command becomes its only child.
# It waits for one line, "go", on stdin, which the engine writes once the network is set up (read a
# byte at a time: nothing of the command's input is taken); an end of input means the caller went
# away. It passes the signals the caller sends on to the command and exits with its status, so the
# sandbox ends with the command. The child of a fork starts with the signals at their defaults.
#<payload
if ($o{payload}) {
  # Confined now, as the init of a started sandbox is once it has exec'd: dumpable again, so that
  # the engine can open its namespaces (/proc/1/ns) to set up the network.
  sc('prctl', 4, 1, 0, 0, 0);
  my $pid = 0;
  for my $s (qw(INT TERM HUP QUIT USR1 USR2 WINCH)) { $SIG{$s} = sub { kill $_[0], $pid if $pid } }
  my $go = '';
  while ($go !~ /\n/ && length $go < 8) {
    my $r = sysread(STDIN, my $ch, 1);
    if (!defined $r) { next if err(4); exit 125 }
    exit 125 if !$r;
    $go .= $ch;
  }
  exit 125 if $go ne "go\n";
  $pid = fork();
  defined $pid or fail("fork: $!");
  if ($pid) {
    while (waitpid($pid, 0) != $pid) { exit 125 unless err(4) }
    exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
  }
}
#>payload
#<initloop
# A started sandbox (init=plain or init=idle): this process stays pid 1 as the sandbox's init, so
# that no shell is executed on the way to ready (plan/init-script.ts has the rules it follows).
# The kernel drops a signal to a pid namespace's init that has no handler: the handlers come first,
# then "r" on stdin (the launch's socket; the engine returns from start on it), then stdin goes.
if ($o{init}) {
  $0 = '${INIT_NAME}';
  my $idle = $o{init} eq 'idle';
  # Processes of the sandbox but this one (and, idle, but zombies).
  my $others = sub {
    my $n = 0;
    opendir(my $d, '/proc') or return 0;
    for my $p (readdir $d) {
      next unless $p =~ /^\d+$/ && $p != 1;
      if ($idle) { open(my $s, '<', "/proc/$p/stat") or next; my $st = <$s>; close $s; next if !defined $st || $st =~ /\) [ZX] / }
      $n++;
    }
    closedir $d;
    return $n;
  };
  # TERM, INT, HUP: TERM to everything else inside, reap, and go once nothing is left (the engine
  # sends SIGKILL after its timeout).
  my $stop = sub { kill('TERM', -1); while (1) { 1 while waitpid(-1, 1) > 0; exit 0 if !$others->(); select(undef, undef, undef, 0.1) } };
  $SIG{$_} = $stop for qw(TERM INT HUP);
  { local $SIG{PIPE} = 'IGNORE'; if (open(my $r, '>&=', 0)) { syswrite($r, "r\n") } }
  open(STDIN, '<', '/dev/null');
  # Confined, and holding nothing of the engine's any more: dumpable again, as the shell this init
  # replaces was after its exec, so that the engine can open its namespaces and /proc/1 reads
  # inside as it did.
  sc('prctl', 4, 1, 0, 0, 0);
  %ENV = ();
  chdir('/');
#<plain
  if (!$idle) {
    # A child that never ends keeps wait() waiting, as the shell's sleep did: orphans that land
    # here are reaped as they end, and nothing else wakes pid 1.
    my $keep = fork();
    if (defined $keep && !$keep) { $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP); select(undef, undef, undef, undef) while 1 }
    while (1) { select(undef, undef, undef, 1) if wait() < 0 }
  }
#>plain
#<idle
  # stop-when-idle: once a second, reap; go once something has run inside and nothing is left.
  # Something ran when a process was counted, or when the pid namespace handed out a pid since
  # the last look (ns_last_pid): an app that came and went between two looks counts too.
  my $lastpid = sub { open(my $f, '<', '/proc/sys/kernel/ns_last_pid') or return ''; my $l = <$f> // ''; close $f; $l };
  my ($seen, $last) = (0, $lastpid->());
  while (1) {
    select(undef, undef, undef, 1);
    1 while waitpid(-1, 1) > 0;
    my $n = $others->();
    my $now = $lastpid->();
    $seen = 1 if $n > 0 || $now ne $last;
    $last = $now;
    exit 0 if $seen && !$n;
  }
#>idle
}
#>initloop
#<exec
if (defined $env) { %ENV = (); for (split /\0/, $env) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v if defined $v } }
if (defined $o{chdir}) { chdir($o{chdir}) or fail("cannot change to the working directory $o{chdir} inside: $!") }
exec { $cmd[0] } @cmd;
# 127: not found, 126: found but not runnable, as shells answer.
my $code = err(2) ? 127 : 126;
my $m = "cannot run $cmd[0]: $!"; $m =~ s/[^\x20-\x7e]/?/g; print STDERR "sandtray: $m\n"; exit $code;
#>exec
`;

/** The parts of ENTER_SCRIPT only some modes run, between `#<PART` and `#>PART` lines. */
type ScriptPart = 'init' | 'attach' | 'payload' | 'initloop' | 'plain' | 'idle' | 'exec';

/**
 * ENTER_SCRIPT without the parts this mode never runs: perl compiles every line it is given, and
 * pid 1 of every start waits for that (a third less to compile for init, whose attach and payload
 * parts are most of the script).
 */
export function enterScript(keep: readonly ScriptPart[]): string {
  // Parts may hold parts (initloop holds plain and idle): cut from the outside in.
  let script = ENTER_SCRIPT;
  for (let before = ''; before !== script; ) {
    before = script;
    script = script.replace(/^#<(\w+)\n([\s\S]*?)^#>\1\n/gm, (_all, part: string, body: string) => (keep.includes(part as ScriptPart) ? body : ''));
  }
  return script;
}

/** One part of ENTER_SCRIPT alone (for a test that runs it without the rest). */
export function enterScriptPart(part: ScriptPart): string {
  const m = new RegExp(`^#<${part}\\n([\\s\\S]*?)^#>${part}\\n`, 'm').exec(ENTER_SCRIPT);
  if (!m) throw new Error(`the enter script has no part ${part}`);
  return m[1]!;
}

/** The system calls the script makes, by name, for the host's architecture. */
const CALLS = ['setns', 'unshare', 'setgroups', 'keyctl', 'prctl', 'capset', 'seccomp', 'close_range', 'close', 'setsid'] as const;

export interface EnterCommon {
  arch: SyscallArch;
  caps: readonly CapName[];
  /** The compiled seccomp program (struct sock_filter[]). */
  seccomp: Buffer;
  /** Directory to change to inside, after the sandbox's root is taken. */
  chdir?: string;
  /** A private file holding the environment as NUL-separated NAME=value; read and removed first. */
  envFile?: string;
  /** Or a descriptor to read it from (init mode: the file is on the host, the script is not). */
  envFd?: number;
}

export type EnterMode =
  | { mode: 'init'; usernsFd: number; newNet: boolean; payload?: boolean; init?: 'plain' | 'idle' }
  | { mode: 'attach'; target: { pid: number; start: number }; owner: { pid: number; start: number }; namespaces: readonly string[] };

/** argv of perl running the enter script, then cmd. */
export function enterArgv(perl: string, mode: EnterMode, common: EnterCommon, cmd: readonly string[]): string[] {
  const nr = CALLS.map((c) => `${c}:${syscallNumber(common.arch, c)}`).join(',');
  const [lo, hi] = capMask(common.caps);
  const opts = [`nr=${nr}`, `caps=${lo}:${hi}`, `seccomp=${common.seccomp.toString('hex')}`];
  if (mode.mode === 'init') opts.push(`userns-fd=${mode.usernsFd}`, ...(mode.newNet ? ['newnet=1'] : []), ...(mode.payload ? ['pdeath=1', 'payload=1'] : []), ...(mode.init ? [`init=${mode.init}`] : []));
  else opts.push(`target=${mode.target.pid}`, `start=${mode.target.start}`, `owner=${mode.owner.pid}`, `ownerstart=${mode.owner.start}`, `ns=${mode.namespaces.join(',')}`);
  if (common.chdir !== undefined) opts.push(`chdir=${common.chdir}`);
  if (common.envFile !== undefined) opts.push(`envfile=${common.envFile}`);
  if (common.envFd !== undefined) opts.push(`envfd=${common.envFd}`);
  // Which parts each mode runs: attach and a one-off's pid 1 execute a command with an environment
  // (exec); a started sandbox's pid 1 stays, as its plain or idle init.
  const parts: ScriptPart[] = mode.mode === 'attach' ? ['attach', 'exec'] : mode.payload ? ['init', 'payload', 'exec'] : mode.init ? ['init', 'initloop', mode.init] : ['init', 'exec'];
  // -e: no file to find or replace; nothing is loaded from @INC; -- ends perl's own options.
  return [perl, "-e", enterScript(parts), '--', ...opts, '--', ...cmd];
}

/** The environment as the enter script reads it. */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join('');
}

/** Order in which namespaces are entered (the user namespaces are handled apart). */
export const ATTACH_NAMESPACES = ['cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt'] as const;
