// sandtray-launch-step: the host side of a start in one process, so the engine spawns one program
// per start instead of four (each spawn is a fork of the whole Node process).
//
// It is perl, as the enter step is (confine/enter.ts), and does what the engine did between its
// spawns: it starts the user namespace holders (idmap/userns.ts, unchanged), writes the outer
// namespace's map when the outer holder says "a" (running newuidmap and newgidmap, or writing the
// map itself where it may), says "go" twice, opens both namespaces once the holder reports
// "c PID", puts them at the descriptors bwrap takes them from, lets the holders go, and becomes
// bwrap (same process: the pid the engine spawned is bwrap's monitor).
//
// Descriptors: the engine passes bwrap's as they are (LAUNCH_FDS; the two user namespace slots
// hold placeholders that are replaced), and one socket, `report`, on which the step says "ok"
// just before it becomes bwrap, or "e KIND MESSAGE" and exits. When the engine goes away (the
// socket ends), the step ends the holders and exits: nothing of the start is left. Right before
// it becomes bwrap it closes every descriptor from `report` up, so the engine may skip the bash
// step that closes inherited descriptors (host/close-fds.ts) without a descriptor opened by
// another thread at the last moment reaching the sandbox.
// The holders get only their handshake pipes at 3, 4 and 5, beside stdio.
import type { MapWriter } from '../idmap/userns.js';
import type { IdMap, MapLine } from '../idmap/map.js';

export const LAUNCH_STEP_SCRIPT = String.raw`
# sandtray-launch-step: see helpers/runtime/launch-step.ts
my %o;
while (@ARGV) { my $a = shift @ARGV; last if $a eq '--'; my ($k, $v) = split /=/, $a, 2; $o{$k} = $v; }
my @holder = splice(@ARGV, 0, $o{nholder});
my @bwrap = @ARGV;
$^F = 1023;
sub err { ($! + 0) == $_[0] }
open(my $rep, '+<&=', $o{report} + 0) or exit 125;
my $hpid = 0;
sub report { syswrite($rep, "$_[0]\n") }
sub fail { my ($kind, $m) = @_; $m =~ s/[^\x20-\x7e]/?/g; report("e $kind $m"); kill('KILL', $hpid) if $hpid; exit 125 }
sub dup_to { my ($from, $to) = @_; syscall($o{dup3} + 0, $from, $to, 0) == $to or fail('internal', "dup3: $!") }
pipe(my $sr, my $sw) or fail('internal', "pipe: $!");
pipe(my $g1r, my $g1w) or fail('internal', "pipe: $!");
pipe(my $g2r, my $g2w) or fail('internal', "pipe: $!");
$hpid = fork();
defined $hpid or fail('internal', "fork: $!");
if (!$hpid) {
  # The holders: their handshake at 3, 4, 5; nothing else of the start.
  my @p = (fileno($sw), fileno($g1r), fileno($g2r));
  my @hi = map { my $n = syscall($o{dup3} + 0, $p[$_], 1000 + $_, 0); $n < 0 ? exit 125 : $n } 0 .. 2;
  for my $i (0 .. 2) { syscall($o{dup3} + 0, $hi[$i], 3 + $i, 0) == 3 + $i or exit 125 }
  if (syscall($o{close_range} + 0, 6, 0xffffffff, 0) < 0) { for my $fd (6 .. 1023) { syscall($o{close} + 0, $fd) } }
  exec { $holder[0] } @holder;
  exit 127;
}
close $sw; close $g1r; close $g2r;
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
  return $1;
}
sub tool {
  my ($path, @args) = @_;
  pipe(my $er, my $ew) or fail('internal', "pipe: $!");
  my $p = fork();
  defined $p or fail('internal', "fork: $!");
  if (!$p) { close $er; open(STDOUT, '>', '/dev/null'); open(STDERR, '>&', $ew); exec { $path } $path, @args; exit 127 }
  close $ew;
  return [$p, $er, $path];
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
(line() // '') eq 'a' or fail('holder', 'unshare --user failed');
if ($o{writer} eq 'newuidmap') {
  my @u = (tool($o{newuidmap}, $hpid, split(/ /, $o{uids})), tool($o{newgidmap}, $hpid, split(/ /, $o{gids})));
  done($_) for @u;
} else {
  write_map('setgroups', 'deny') if $o{writer} eq 'write-own';
  (my $u = $o{uids}) =~ s/(\S+) (\S+) (\S+) ?/$1 $2 $3\n/g;
  (my $g = $o{gids}) =~ s/(\S+) (\S+) (\S+) ?/$1 $2 $3\n/g;
  write_map('uid_map', $u);
  write_map('gid_map', $g);
}
syswrite($g1w, "go\n");
(line() // '') eq 'b' or fail('holder', "the sandbox's unshare --user failed");
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
close $rep;
# bwrap hands every descriptor it holds to pid 1. The engine's are below report; anything at or
# above it came in unasked (one a thread of the engine opened without close-on-exec just before
# the spawn, one the engine inherited), and the kernel closes it here whatever its flags.
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
  report: number;
  outerFd: number;
  innerFd: number;
  writer: MapWriter;
  /** The outer namespace's map (the plan's host ids mirrored). */
  outerMap: IdMap;
  newuidmap: string | null;
  newgidmap: string | null;
  holders: readonly string[];
  bwrap: readonly string[];
  /** For a one-off sandbox: the engine's pid and prctl's number; bwrap gets SIGKILL when the engine dies. */
  dieWith?: { parent: number; prctl: number };
}

const words = (lines: readonly MapLine[]): string => lines.map((l) => `${l.inside} ${l.outside} ${l.count}`).join(' ');

/** argv of the launch step: perl, its options, the holders' argv, then bwrap's. */
export function launchStepArgv(a: LaunchStepArgs): string[] {
  const opts = [
    'sandtray-launch-step',
    `nholder=${a.holders.length}`, `report=${a.report}`, `outerfd=${a.outerFd}`, `innerfd=${a.innerFd}`,
    `dup3=${DUP3[a.arch]}`, `close_range=${a.closeRange}`, `close=${a.close}`, `writer=${a.writer}`,
    `uids=${words(a.outerMap.uid)}`, `gids=${words(a.outerMap.gid)}`,
    ...(a.newuidmap ? [`newuidmap=${a.newuidmap}`] : []), ...(a.newgidmap ? [`newgidmap=${a.newgidmap}`] : []),
    ...(a.dieWith ? [`pdeath=${a.dieWith.parent}`, `prctl=${a.dieWith.prctl}`] : []),
  ];
  return [a.perl, '-e', LAUNCH_STEP_SCRIPT, '--', ...opts, '--', ...a.holders, ...a.bwrap];
}
