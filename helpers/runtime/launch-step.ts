// sandtray-launch-step: the host side of a start in one process, so the engine spawns one program
// per start instead of four (each spawn is a fork of the whole Node process).
//
// It is perl, as the enter step is (confine/enter.ts), and does what the engine did between its
// spawns: it forks the user namespace holders (idmap/userns.ts: two forks and the unshare system
// call, nothing executed), writes the outer namespace's map when the outer holder says "a"
// (running newuidmap and newgidmap at once, or writing the map itself where it may), says "go",
// opens both namespaces once the holder reports "c PID", puts them at the descriptors bwrap takes
// them from, lets the holders go, and becomes bwrap (same process: the pid the engine spawned is
// bwrap's monitor).
//
// Descriptors: the engine passes bwrap's as they are (LAUNCH_FDS; the two user namespace slots
// hold placeholders that are replaced), and one socket, `report`, on which the step says "ok"
// just before it becomes bwrap, or "e KIND MESSAGE" and exits. When the engine goes away (the
// socket ends), the step ends the holders and exits: nothing of the start is left. Its first act
// is to close every descriptor above `report` (one the engine inherited without close-on-exec,
// one another thread of the engine opened just before the spawn), and right before it becomes
// bwrap it closes `report` and everything above it again: so the engine never needs the bash step
// that closes inherited descriptors (host/close-fds.ts) on this path.
//
// Ready (`ready=1`, a started sandbox): the step hands `report` to bwrap as its stdin instead of
// closing it. bwrap passes stdin to pid 1, the init, which says "r" on it once its SIGTERM
// handler is installed and then replaces it with /dev/null (plan/init-script.ts): the engine
// learns that pid 1 is ready without polling it, and pid 1 keeps no descriptor of the host.
import type { MapWriter } from '../idmap/userns.js';
import { USERNS_SCRIPT } from '../idmap/userns.js';
import type { IdMap, MapLine } from '../idmap/map.js';

export const LAUNCH_STEP_SCRIPT = String.raw`
# sandtray-launch-step: see helpers/runtime/launch-step.ts
my %o;
sub options { my $w = shift; while (@$w) { my $a = shift @$w; last if $a eq '--'; my ($k, $v) = split /=/, $a, 2; $o{$k} = $v; } }
options(\@ARGV);
my (@holder, @bwrap);
if (!$o{prepared}) { @holder = splice(@ARGV, 0, $o{nholder}); @bwrap = @ARGV; }
# Nothing the engine did not pass on purpose stays open.
if (syscall($o{close_range} + 0, $o{report} + 1, 0xffffffff, 0) < 0) { for my $fd ($o{report} + 1 .. 1023) { syscall($o{close} + 0, $fd) } }
$^F = 1023;
sub err { ($! + 0) == $_[0] }
open(my $rep, '+<&=', $o{report} + 0) or exit 125;
my $hpid = 0;
sub report { syswrite($rep, "$_[0]\n") }
sub fail { my ($kind, $m) = @_; $m =~ s/[^\x20-\x7e]/?/g; report("e $kind $m"); kill('KILL', $hpid) if $hpid; exit 125 }
sub dup_to { my ($from, $to) = @_; syscall($o{dup3} + 0, $from, $to, 0) == $to or fail('internal', "dup3: $!") }
# What the engine wrote on report and nothing has read yet (prepared: its two messages).
my $rbuf = '';
# Prepared: one message of the engine, "LENGTH\n" then LENGTH bytes of words, each ended by a NUL.
# The engine going away (the socket ends) ends the step, and the holders with it.
sub message {
  while (1) {
    if ($rbuf =~ /^(\d+)\n/ && length($rbuf) >= length($1) + 1 + $1) {
      my $n = $1;
      my $body = substr($rbuf, length($n) + 1, $n);
      substr($rbuf, 0, length($n) + 1 + $n) = '';
      my @w = split /\0/, $body, -1;
      pop @w;
      return @w;
    }
    my $r = sysread($rep, $rbuf, 65536, length $rbuf);
    if (!defined $r) { next if err(4); fail('internal', "read: $!") }
    if (!$r) { kill('KILL', $hpid) if $hpid; exit 125 }
  }
}
` + USERNS_SCRIPT + String.raw`
my ($sr, $g1w, $g2w);
my $buf = '';
sub line {
  while ($buf !~ /\n/) {
    my $rin = '';
    vec($rin, fileno($sr), 1) = 1;
    vec($rin, fileno($rep), 1) = 1;
    my $n = select(my $rout = $rin, undef, undef, undef);
    if ($n < 0) { next if err(4); fail('internal', "select: $!") }
    if (vec($rout, fileno($rep), 1)) {
      # The engine went away: so does the start. What it says meanwhile is kept for message().
      my $r = sysread($rep, $rbuf, 65536, length $rbuf);
      if (!$r) { kill('KILL', $hpid); exit 125 }
    }
    if (vec($rout, fileno($sr), 1)) {
      my $r = sysread($sr, $buf, 4096, length $buf);
      return undef if !$r;
    }
  }
  $buf =~ s/^([^\n]*)\n//;
  my $l = $1;
  fail($1, $2) if $l =~ /^e (\S+) (.*)$/;
  return $l;
}
# newuidmap and newgidmap are forked before the outer namespace exists and wait for a byte on a
# pipe (an end of it without one: the start failed), so only their exec is left once it does.
# Each gets stdio alone: stdout on /dev/null, stderr on a pipe to the step.
sub tool {
  my ($path, @args) = @_;
  pipe(my $er, my $ew) or fail('internal', "pipe: $!");
  pipe(my $wr, my $ww) or fail('internal', "pipe: $!");
  my $p = fork();
  defined $p or fail('internal', "fork: $!");
  if (!$p) {
    $SIG{__WARN__} = sub {};
    close $er; close $ww;
    my $n = sysread($wr, my $x, 1);
    exit 125 unless $n;
    open(STDOUT, '>', '/dev/null'); open(STDERR, '>&', $ew);
    close_fds(3, 0xffffffff);
    exec { $path } $path, @args;
    exit 127;
  }
  close $ew; close $wr;
  return [$p, $er, $path, $ww];
}
sub done {
  my $t = shift; my $fh = $t->[1];
  local $/; my $text = <$fh>; close $fh;
  waitpid($t->[0], 0);
  my $name = $t->[2]; $name =~ s{.*/}{};
  $text = '' unless defined $text; $text =~ s/\s+$//; $text =~ s/\n/; /g;
  fail('idmap', "$name refused the id map: " . ($text ne '' ? $text : 'exit code ' . ($? >> 8))) if $?;
}
sub write_map {
  my ($file, $text) = @_;
  open(my $f, '>', "/proc/$hpid/$file") or fail('idmap-write', "Cannot write the id map of process $hpid: $!");
  my $n = syswrite($f, $text);
  (defined $n && $n == length $text) or fail('idmap-write', "Cannot write the id map of process $hpid: " . ($! || 'short write'));
  close $f;
}
# The outer namespace, mapped as %o says (writer, uids, gids); its holder waits for "go".
sub outer {
  ($hpid, $sr, $g1w, $g2w) = start_holders();
  $buf = '';
  my @u = $o{writer} eq 'newuidmap' ? (tool($o{newuidmap}, $hpid, split(/ /, $o{uids})), tool($o{newgidmap}, $hpid, split(/ /, $o{gids}))) : ();
  (line() // '') eq 'a' or fail('holder', 'the outer user namespace could not be made');
  if (@u) {
    syswrite($_->[3], 'x') for @u;
    close($_->[3]) for @u;
    done($_) for @u;
  } else {
    write_map('setgroups', 'deny') if $o{writer} eq 'write-own';
    write_map('uid_map', map_lines($o{uids}));
    write_map('gid_map', map_lines($o{gids}));
  }
}
# The map the outer namespace made ahead has (prepared), if any.
my $made = '';
if ($o{prepared}) {
  # The socket moves up to RESERVE and every number below it the start will place a descriptor at
  # holds /dev/null until then: the pipes of the holders and of newuidmap land above, never on a
  # slot bwrap takes a descriptor from.
  dup_to(fileno($rep), $o{reserve} + 0);
  close $rep;
  open($rep, '+<&=', $o{reserve} + 0) or exit 125;
  # No perl handle may name a slot: the holders close descriptors behind perl's back, and perl
  # closes a number only once no handle of its own names it, so a pipe that got the number of a
  # stale handle would never close (a holder waiting on it would wait forever).
  open(my $nh, '<', '/dev/null') or exit 125;
  my $n = $o{reserve} + 1;
  dup_to(fileno($nh), $n);
  close $nh;
  for my $fd (4 .. $o{reserve} - 1) { next if $fd == $o{args}; dup_to($n, $fd) }
  syscall($o{close} + 0, $n);
  # Given the map of the engine's last start, the outer namespace is made and mapped now, while
  # nothing waits for it: a start with the same map (most sandboxes share the owner's range) finds
  # it ready. It holds no sandbox and nothing of one; the sandbox's own namespace, and the nesting
  # limit, come only with the start.
  if (defined $o{uids}) {
    outer();
    $made = "$o{writer} $o{uids} $o{gids}";
  }
  report('p');
  my @m = message();
  options(\@m);
  @holder = splice(@m, 0, $o{nholder});
}
# Another map than the one made ahead: that namespace goes, and one with this map is made.
if ($made ne "$o{writer} $o{uids} $o{gids}") {
  if ($hpid) {
    kill('KILL', $hpid);
    waitpid($hpid, 0);
    close $sr; close $g1w; close $g2w;
    $hpid = 0;
  }
  outer();
}
# The sandbox's part of the plan (sandtray-userns LIMIT UIDS GIDS) goes with "go".
syswrite($g1w, 'go ' . join(';', @holder[1 .. 3]) . "\n");
my $c = line() // '';
$c =~ /^c (\d+)$/ or fail('holder', "the sandbox's id map was refused");
my $inner = $1;
# Both namespaces are held from here on, so the holders may go now (they end when their pipes
# close): a prepared step lets them go while the engine still prepares the rest, not on the way.
open(my $ou, '<', "/proc/$hpid/ns/user") or fail('holder', "cannot open the outer namespace: $!");
open(my $in, '<', "/proc/$inner/ns/user") or fail('holder', "cannot open the sandbox's namespace: $!");
dup_to(fileno($ou), $o{outerfd} + 0);
dup_to(fileno($in), $o{innerfd} + 0);
close $g1w; close $g2w; close $sr;
$hpid = 0;
if ($o{prepared}) {
  # The rest of the start: where report goes, the engine's descriptors to open again at their
  # places, then bwrap's argv. Each is opened through /proc/ENGINE/fd (the same file, never a
  # path looked up again), with the flags the engine opened it with.
  my @m = message();
  options(\@m);
  @bwrap = @m;
  getppid() == $o{engine} or fail('internal', 'the engine went away');
  ($o{report} > $o{env} && $o{report} < $o{reserve}) or fail('internal', 'too many descriptors for a prepared start');
  dup_to(fileno($rep), $o{report} + 0);
  close $rep;
  open($rep, '+<&=', $o{report} + 0) or fail('internal', "report: $!");
  # openat by number: no perl handle (it would only be closed again), and the descriptor it
  # returns lies above report, where the last close_range below ends it.
  for my $f (split /,/, $o{fds}) {
    my ($to, $from, $flags) = split /:/, $f;
    my $fd = syscall($o{openat} + 0, -100, "/proc/$o{engine}/fd/$from", $flags + 0, 0);
    $fd >= 0 or fail('internal', "cannot open the engine's descriptor $from again: $!");
    dup_to($fd, $to + 0);
  }
}
# A one-off sandbox (sandtray run): bwrap's monitor dies with the engine, even by SIGKILL (the
# signal survives the exec of bwrap); an engine already gone ends the start here.
if ($o{pdeath}) {
  syscall($o{prctl} + 0, 1, 9, 0, 0, 0) == 0 or fail('internal', "prctl: $!");
  getppid() == $o{pdeath} or fail('internal', 'the caller went away');
}
report('ok');
# A started sandbox: pid 1 says on its stdin when it is ready (see above).
dup_to(fileno($rep), 0) if $o{ready};
close $rep;
# bwrap hands every descriptor it holds to pid 1. The engine's are below report; anything at or
# above it came in unasked, and the kernel closes it here whatever its flags.
if (syscall($o{close_range} + 0, $o{report} + 0, 0xffffffff, 0) < 0) { for my $fd ($o{report} .. 1023) { syscall($o{close} + 0, $fd) } }
exec { $bwrap[0] } @bwrap;
fail('internal', "cannot run $bwrap[0]: $!");
`;

/** What every start's step takes alike: perl, and the system call numbers of the host. */
export interface StepBase {
  perl: string;
  arch: 'x86_64' | 'aarch64';
  closeRange: number;
  close: number;
  unshare: number;
  /** dup3 places descriptors at fixed numbers; openat opens the engine's again (prepared). */
  dup3: number;
  openat: number;
  outerFd: number;
  innerFd: number;
}

/** The holders' part of a start: how the outer namespace's map is written, and the plan's holders. */
export interface StepMaps {
  writer: MapWriter;
  /** The outer namespace's map (the plan's host ids mirrored). */
  outerMap: IdMap;
  newuidmap: string | null;
  newgidmap: string | null;
  /** The plan's holders part (idmap/userns.ts usernsArgv): sandtray-userns LIMIT UIDS GIDS. */
  holders: readonly string[];
}

export interface LaunchStepArgs extends StepBase, StepMaps {
  report: number;
  bwrap: readonly string[];
  /** A started sandbox: `report` becomes bwrap's stdin, on which pid 1 says "r" once it is ready. */
  ready?: boolean;
  /** For a one-off sandbox: the engine's pid and prctl's number; bwrap gets SIGKILL when the engine dies. */
  dieWith?: { parent: number; prctl: number };
}

const words = (lines: readonly MapLine[]): string => lines.map((l) => `${l.inside} ${l.outside} ${l.count}`).join(' ');

const baseOpts = (a: StepBase): string[] => [
  `outerfd=${a.outerFd}`, `innerfd=${a.innerFd}`, `dup3=${a.dup3}`, `openat=${a.openat}`, `close_range=${a.closeRange}`, `close=${a.close}`, `unshare=${a.unshare}`,
];

const mapOpts = (a: StepMaps): string[] => [
  `nholder=${a.holders.length}`, `writer=${a.writer}`, `uids=${words(a.outerMap.uid)}`, `gids=${words(a.outerMap.gid)}`,
  ...(a.newuidmap ? [`newuidmap=${a.newuidmap}`] : []), ...(a.newgidmap ? [`newgidmap=${a.newgidmap}`] : []),
];

/** argv of the launch step: perl, its options, the holders' part of the plan, then bwrap's argv. */
export function launchStepArgv(a: LaunchStepArgs): string[] {
  const opts = [
    'sandtray-launch-step', `report=${a.report}`, ...baseOpts(a), ...mapOpts(a),
    ...(a.dieWith ? [`pdeath=${a.dieWith.parent}`, `prctl=${a.dieWith.prctl}`] : []),
    ...(a.ready ? ['ready=1'] : []),
  ];
  return [a.perl, '-e', LAUNCH_STEP_SCRIPT, '--', ...opts, '--', ...a.holders, ...a.bwrap];
}

/**
 * A prepared step (runtime/prepared.ts): started before there is a start to make, it compiles,
 * makes the outer namespace when it is given a map to expect (premap), says "p" on `report` and
 * waits there for two messages, the holders' part (preparedMaps) and the rest (preparedRest). Its descriptors: 0-2 /dev/null, `info` and `args` the pipes bwrap
 * writes and reads, `report` the socket; every number below `reserve` that a start places a
 * descriptor at holds /dev/null until it does, so no start may need a slot at or above it.
 */
export const PREPARED_FDS = { report: 8, reserve: 256 } as const;

/** premap: the outer map of the engine's last start, for the step to make that namespace ahead. */
export function preparedStepArgv(a: StepBase & { engine: number; args: number; env: number; premap?: StepMaps | null }): string[] {
  const opts = [
    'sandtray-launch-step', 'prepared=1', `report=${PREPARED_FDS.report}`, `reserve=${PREPARED_FDS.reserve}`,
    `args=${a.args}`, `env=${a.env}`, `engine=${a.engine}`, ...baseOpts(a), ...(a.premap ? mapOpts(a.premap) : []),
  ];
  return [a.perl, '-e', LAUNCH_STEP_SCRIPT, '--', ...opts, '--'];
}

/** One message to a prepared step: its length, a newline, then each word ended by a NUL. */
function message(ws: readonly string[]): Buffer {
  const body = Buffer.from(ws.map((w) => `${w}\0`).join(''));
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

/** The first message: the holders' part. The step makes the namespaces and writes the maps at once. */
export function preparedMaps(a: StepMaps): Buffer {
  return message([...mapOpts(a), '--', ...a.holders]);
}

/**
 * The second message: where `report` goes, the engine's descriptors the step opens again
 * (`slot`, the engine's number, the flags it was opened with) and bwrap's argv.
 */
export function preparedRest(a: { report: number; reopen: readonly { slot: number; fd: number; flags: number }[]; ready: boolean; bwrap: readonly string[] }): Buffer {
  return message([
    `report=${a.report}`, `fds=${a.reopen.map((r) => `${r.slot}:${r.fd}:${r.flags}`).join(',')}`, ...(a.ready ? ['ready=1'] : []), '--', ...a.bwrap,
  ]);
}
