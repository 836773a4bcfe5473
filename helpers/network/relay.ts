// Port forwarding into a VPN sandbox. pasta cannot do it there: pasta joined to the sandbox's
// network namespace would add its own interface and a way out beside the tunnel. Instead a small
// Perl relay (perl-base is on every Debian and Ubuntu system) opens its listening sockets on the
// host first, then joins the sandbox's user and network namespaces. The sockets it listens on stay
// the host's; every socket it makes afterwards is the sandbox's, and it makes only one kind: a
// connection to the sandbox's own 127.0.0.1 at the forwarded port, for each connection it accepts.
// No interface, address or route is added to the sandbox, so nothing inside gains a way out
// (the kill switch holds: incoming forwarded connections only).
import { requireTool } from '../host/tools.js';
import { nsInode, type ProcId } from '../host/proc.js';
import { seccompArch } from '../confine/seccomp.js';
import { syscallNumber } from '../confine/syscalls.js';
import { SandtrayError } from '../core/errors.js';
import type { PortForward } from '../profile/schema.js';
import type { HelperProc } from './driver.js';
import { spawnHelper, waitFor } from './helper-proc.js';
import { checkPortsFree } from './ports.js';

/**
 * Arguments: nr=SETNS,PRCTL target=PID start=START, then ADDRESS/HOSTPORT:PORT per forward. The
 * namespaces are opened and checked to be those of the sandbox's pid 1 (start time), every
 * listening socket is bound, and only then are the namespaces joined. It never joins the sandbox's
 * pid namespace, so nothing inside can name it (let alone trace it); it runs nothing from the
 * sandbox's files. Each accepted connection gets a child that dies with the relay (PR_SET_PDEATHSIG).
 */
export const RELAY_SCRIPT = String.raw`
use strict;
use Socket qw(AF_INET AF_INET6 SOCK_STREAM SOL_SOCKET SO_REUSEADDR inet_pton pack_sockaddr_in pack_sockaddr_in6);
my (%o, @fw);
for (@ARGV) { if (/^(\w+)=(.*)\z/s) { $o{$1} = $2 } else { push @fw, $_ } }
my ($setns, $prctl) = split /,/, $o{nr};
sub fail { my $m = shift; $m =~ s/[^\x20-\x7e]/?/g; print STDERR "sandtray-relay: $m\n"; exit 1 }
open(my $uns, '<', "/proc/$o{target}/ns/user") or fail('the sandbox is gone');
open(my $nns, '<', "/proc/$o{target}/ns/net") or fail('the sandbox is gone');
open(my $st, '<', "/proc/$o{target}/stat") or fail('the sandbox is gone');
my $stat = <$st>; close $st; $stat =~ s/^.*\) //;
(split / /, $stat)[19] eq $o{start} or fail('the sandbox is gone');
my @l;
for my $f (@fw) {
  my ($addr, $hp, $sp) = $f =~ m{^(.+)/(\d+):(\d+)\z} or fail("bad forward $f");
  my $six = $addr =~ /:/;
  socket(my $s, $six ? AF_INET6 : AF_INET, SOCK_STREAM, 0) or fail("socket: $!");
  setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);
  my $ip = inet_pton($six ? AF_INET6 : AF_INET, $addr) or fail("bad address $addr");
  bind($s, $six ? pack_sockaddr_in6($hp, $ip) : pack_sockaddr_in($hp, $ip)) or fail("cannot listen on $addr port $hp: $!");
  listen($s, 128) or fail("cannot listen on $addr port $hp: $!");
  push @l, [$s, $sp];
}
syscall($setns, fileno($uns), 0x10000000) == 0 or fail("cannot enter the sandbox's user namespace: $!");
syscall($setns, fileno($nns), 0x40000000) == 0 or fail("cannot enter the sandbox's network namespace: $!");
close $uns; close $nns;
# At most 256 connections at once: each is a process of the user's.
my $kids = 0;
$SIG{CHLD} = sub { while (waitpid(-1, 1) > 0) { $kids-- } };
my $lo = pack_sockaddr_in(0, inet_pton(AF_INET, '127.0.0.1'));
while (1) {
  my $rin = '';
  vec($rin, fileno($_->[0]), 1) = 1 for @l;
  my $n = select(my $rout = $rin, undef, undef, undef);
  next if $n <= 0;
  for my $x (@l) {
    next unless vec($rout, fileno($x->[0]), 1);
    accept(my $c, $x->[0]) or next;
    if ($kids >= 256) { close $c; next }
    my $pid = fork();
    $kids++ if $pid;
    if (!defined $pid || $pid) { close $c; next }
    $SIG{CHLD} = 'DEFAULT';
    syscall($prctl, 1, 9, 0, 0, 0);
    close $_->[0] for @l;
    socket(my $t, AF_INET, SOCK_STREAM, 0) or exit 1;
    connect($t, pack_sockaddr_in($x->[1], inet_pton(AF_INET, '127.0.0.1'))) or exit 1;
    my %to = (fileno($c) => [$c, $t], fileno($t) => [$t, $c]);
    my %open = map { $_ => 1 } keys %to;
    while (%open) {
      my $r = '';
      vec($r, $_, 1) = 1 for keys %open;
      select(my $ready = $r, undef, undef, undef) > 0 or next;
      for my $fd (keys %open) {
        next unless vec($ready, $fd, 1);
        my ($from, $dst) = @{$to{$fd}};
        my $got = sysread($from, my $buf, 65536);
        if (!$got) { shutdown($dst, 1); delete $open{$fd}; next }
        my $off = 0;
        while ($off < $got) { my $w = syswrite($dst, $buf, $got - $off, $off); defined $w or exit 0; $off += $w }
      }
    }
    exit 0;
  }
}
`;

/** argv of the relay for the sandbox whose pid 1 is init. */
export function relayArgv(init: ProcId, ports: readonly PortForward[]): string[] {
  const arch = seccompArch();
  if (!arch) throw new SandtrayError('HOST_UNSUPPORTED', `Port forwarding into a VPN sandbox is not built for this architecture (${process.arch})`, 'Sandtray runs on x86_64 and aarch64.');
  const nr = `${syscallNumber(arch, 'setns')},${syscallNumber(arch, 'prctl')}`;
  return [requireTool('perl'), '-e', RELAY_SCRIPT, '--', `nr=${nr}`, `target=${init.pid}`, `start=${init.start}`, ...ports.map((p) => `${p.address}/${p.host}:${p.sandbox}`)];
}

/** Starts the relay and waits until it listens and has joined the sandbox's network namespace. */
export async function startRelay(init: ProcId, ports: readonly PortForward[], logFile: string, onSpawned?: (h: HelperProc) => void): Promise<HelperProc> {
  await checkPortsFree(ports);
  const h = spawnHelper(relayArgv(init, ports), { what: 'port relay', logFile });
  onSpawned?.(h);
  const theirs = nsInode(init.pid, 'net');
  await waitFor(() => theirs !== null && nsInode(h.pid, 'net') === theirs, 10_000, 'The port relay did not start', h);
  return h;
}
