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
// closing it. bwrap passes stdin to pid 1, whose init script says "r" on it once its SIGTERM
// handler is installed and then replaces it with /dev/null (plan/init-script.ts): the engine
// learns that pid 1 is ready without polling it, and pid 1 keeps no descriptor of the host.
import type { MapWriter } from '../idmap/userns.js';
import { USERNS_SCRIPT } from '../idmap/userns.js';
import type { IdMap, MapLine } from '../idmap/map.js';

export const LAUNCH_STEP_SCRIPT = String.raw`
# sandtray-launch-step: see helpers/runtime/launch-step.ts
my %o;
while (@ARGV) { my $a = shift @ARGV; last if $a eq '--'; my ($k, $v) = split /=/, $a, 2; $o{$k} = $v; }
my @holder = splice(@ARGV, 0, $o{nholder});
my @bwrap = @ARGV;
# Nothing the engine did not pass on purpose stays open.
if (syscall($o{close_range} + 0, $o{report} + 1, 0xffffffff, 0) < 0) { for my $fd ($o{report} + 1 .. 1023) { syscall($o{close} + 0, $fd) } }
$^F = 1023;
sub err { ($! + 0) == $_[0] }
open(my $rep, '+<&=', $o{report} + 0) or exit 125;
my $hpid = 0;
sub report { syswrite($rep, "$_[0]\n") }
sub fail { my ($kind, $m) = @_; $m =~ s/[^\x20-\x7e]/?/g; report("e $kind $m"); kill('KILL', $hpid) if $hpid; exit 125 }
sub dup_to { my ($from, $to) = @_; syscall($o{dup3} + 0, $from, $to, 0) == $to or fail('internal', "dup3: $!") }
` + USERNS_SCRIPT + String.raw`
# The holders' part of the plan: sandtray-userns LIMIT UIDS GIDS.
my ($sr, $g1w, $g2w);
($hpid, $sr, $g1w, $g2w) = start_holders(@holder[1 .. 3]);
my $buf = '';
sub line {
  while ($buf !~ /\n/) {
    my $rin = '';
    vec($rin, fileno($sr), 1) = 1;
    vec($rin, fileno($rep), 1) = 1;
    my $n = select(my $rout = $rin, undef, undef, undef);
    if ($n < 0) { next if err(4); fail('internal', "select: $!") }
    if (vec($rout, fileno($rep), 1)) {
      # The engine went away: so does the start.
      my $r = sysread($rep, my $x, 64);
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
syswrite($g1w, "go\n");
my $c = line() // '';
$c =~ /^c (\d+)$/ or fail('holder', "the sandbox's id map was refused");
my $inner = $1;
open(my $ou, '<', "/proc/$hpid/ns/user") or fail('holder', "cannot open the outer namespace: $!");
open(my $in, '<', "/proc/$inner/ns/user") or fail('holder', "cannot open the sandbox's namespace: $!");
dup_to(fileno($ou), $o{outerfd} + 0);
dup_to(fileno($in), $o{innerfd} + 0);
# bwrap holds both namespaces now: the holders may go (they end when their pipes close).
close $ou; close $in; close $g1w; close $g2w; close $sr;
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

/** dup3 by architecture (the step places descriptors at fixed numbers). */
const DUP3: Record<string, number> = { x86_64: 292, aarch64: 24 };

export interface LaunchStepArgs {
  perl: string;
  arch: 'x86_64' | 'aarch64';
  closeRange: number;
  close: number;
  unshare: number;
  report: number;
  outerFd: number;
  innerFd: number;
  writer: MapWriter;
  /** The outer namespace's map (the plan's host ids mirrored). */
  outerMap: IdMap;
  newuidmap: string | null;
  newgidmap: string | null;
  /** The plan's holders part (idmap/userns.ts usernsArgv): sandtray-userns LIMIT UIDS GIDS. */
  holders: readonly string[];
  bwrap: readonly string[];
  /** A started sandbox: `report` becomes bwrap's stdin, on which pid 1 says "r" once it is ready. */
  ready?: boolean;
  /** For a one-off sandbox: the engine's pid and prctl's number; bwrap gets SIGKILL when the engine dies. */
  dieWith?: { parent: number; prctl: number };
}

const words = (lines: readonly MapLine[]): string => lines.map((l) => `${l.inside} ${l.outside} ${l.count}`).join(' ');

/** argv of the launch step: perl, its options, the holders' part of the plan, then bwrap's argv. */
export function launchStepArgv(a: LaunchStepArgs): string[] {
  const opts = [
    'sandtray-launch-step',
    `nholder=${a.holders.length}`, `report=${a.report}`, `outerfd=${a.outerFd}`, `innerfd=${a.innerFd}`,
    `dup3=${DUP3[a.arch]}`, `close_range=${a.closeRange}`, `close=${a.close}`, `unshare=${a.unshare}`, `writer=${a.writer}`,
    `uids=${words(a.outerMap.uid)}`, `gids=${words(a.outerMap.gid)}`,
    ...(a.newuidmap ? [`newuidmap=${a.newuidmap}`] : []), ...(a.newgidmap ? [`newgidmap=${a.newgidmap}`] : []),
    ...(a.dieWith ? [`pdeath=${a.dieWith.parent}`, `prctl=${a.dieWith.prctl}`] : []),
    ...(a.ready ? ['ready=1'] : []),
  ];
  return [a.perl, '-e', LAUNCH_STEP_SCRIPT, '--', ...opts, '--', ...a.holders, ...a.bwrap];
}
