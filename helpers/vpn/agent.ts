// The VPN agent: one small process per VPN sandbox that answers the client (hold, passwords),
// puts the tunnel into the sandbox when it comes up, and records the tunnel's state for
// `vpn status` and `monitor`. It gets its instructions and secrets on stdin, never in argv.
//
// It is a short Perl program (perl-base, as the launch and enter steps: confine/enter.ts), not a
// Node process: it stays resident for the sandbox's whole life, and idle Perl is about 3 MiB where
// Node was about 30. Only the base modules it loads (strict, Socket, Fcntl) are used: no JSON
// module (the status is written by hand, every string escaped), no Errno.pm (errors are compared
// by number). The work that needs the engine's code runs in a short-lived Node process the agent
// starts when OpenVPN reports CONNECTED (bring-up-main.ts: the tunnel's settings from the pushed
// options, the device moved into the sandbox and configured, its resolv.conf written); it exits
// when done.
//
// Input (stdin), one `KEY HEX` line each, the value hex-encoded so any byte passes: see agentInput.
// `perl -e AGENT_SCRIPT -- selftest` reads the same input, then test events after a `--` line
// (`mgmt HEX`, a management line; `mgmtdata HEX`, bytes as read from the socket; `out HEX`, a
// line of the client's output; `eof`, the management socket closed; `wg NOW LATEST SENT`, one
// WireGuard reading) and prints what it does instead of
// doing it (`send CMD`, `log LINE`, `status JSON`, `bringup JSON`): the unit tests drive it so.
import { NOT_REACHED, ONE_TIME_CODE, OPTIONS_REFUSED } from './management.js';

/** WireGuard drops a session 180 s after its last handshake (REJECT_AFTER_TIME). */
export const WG_STALE_SEC = 180;

export const AGENT_SCRIPT = String.raw`
use strict;
use Socket qw(PF_UNIX SOCK_STREAM pack_sockaddr_un);
use Fcntl qw(O_RDONLY O_WRONLY O_CREAT O_EXCL O_NONBLOCK O_NOFOLLOW);
$SIG{TERM} = sub { exit 0 };
$SIG{INT} = 'IGNORE'; $SIG{HUP} = 'IGNORE'; $SIG{PIPE} = 'IGNORE';
umask 077;
my $selftest = (@ARGV && $ARGV[0] eq 'selftest') ? 1 : 0;
my (%o, %sec, @helpers, @hs, @tx, @bu, %buenv);
my %frag = (addresses => '[]', routes => '[]', dns => '[]', domains => '[]', endpoint => 'null', mtu => 'null');
while (defined(my $l = <STDIN>)) {
  chomp $l;
  last if $l eq '--';
  my ($k, $h) = split / /, $l, 2;
  my $v = pack('H*', defined $h ? $h : '');
  if ($k eq 'secret') { my ($n, $x) = split /=/, $v, 2; $sec{$n} = $x }
  elsif ($k eq 'helper') { push @helpers, [split / /, $v, 3] }
  elsif ($k eq 'wg-hs') { push @hs, $v }
  elsif ($k eq 'wg-tx') { push @tx, $v }
  elsif ($k eq 'bringup') { push @bu, $v }
  elsif ($k eq 'bringup-env') { my ($n, $x) = split /=/, $v, 2; $buenv{$n} = $x }
  elsif ($k =~ /^status\.(\w+)\z/) { $frag{$1} = $v }
  else { $o{$k} = $v }
}
close STDIN unless $selftest;
# Secrets shorter than 3 bytes are not searched for in lines: they would match ordinary words.
my @secrets = grep { defined $_ && length($_) >= 3 } values %sec;
my @init = split / /, (defined $o{init} ? $o{init} : '0 0');
my @client = split / /, (defined $o{client} ? $o{client} : '0 0 client'), 3;
my $what = $client[2];
my $name = $o{name};
my $CMD = "\x60sandtray";
my $E = "\x60";

sub now { if ($o{tod}) { my $tv = "\0" x 16; if (syscall($o{tod} + 0, $tv, 0) == 0) { my ($s, $us) = unpack('q q', $tv); return ($s, int($us / 1000)) } } (time, 0) }
sub iso { my ($s, $ms) = @_; my @t = gmtime($s); sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], $t[0], $ms) }
sub logline {
  my $m = shift;
  if ($selftest) { print "log $m\n"; return }
  if (open(my $f, '>>', $o{log})) { print $f iso(now()) . " sandtray: $m\n"; close $f }
}
sub hide { my $t = shift; return $t unless defined $t; for my $s (@secrets) { $t =~ s/\Q$s\E/[hidden]/g } $t }
# A line of the client's output as the log may show it, or undef: OpenVPN echoes management
# commands at verb 3 (the user name among them); any secret still in a line is replaced.
sub scrub {
  my $l = shift;
  return undef if $l =~ /MANAGEMENT: CMD '/;
  if (length($l) > 4096) { $l = substr($l, 0, 4096); $l =~ s/[\xc0-\xff][\x80-\xbf]*\z//; $l .= '...' }
  hide($l);
}
sub jstr {
  my $s = shift;
  return 'null' unless defined $s;
  $s =~ s/(["\\])/\\$1/g;
  $s =~ s/([\x00-\x1f\x7f])/sprintf('\\u%04x', ord $1)/ge;
  '"' . $s . '"';
}

# ---- the status file ----
my %st = (state => 'connecting', since => iso(now()), message => undef);
my ($ever, $stopping, $refusedwrite) = (0, 0, 0);
sub status_json {
  '{"type":' . jstr($o{type}) . ',"state":' . jstr($st{state}) . ',"since":' . jstr($st{since}) . ',"message":' . jstr($st{message}) .
    ',"device":' . jstr($o{dev}) . join('', map { ',"' . $_ . '":' . $frag{$_} } qw(addresses routes dns domains endpoint mtu)) . "}\n";
}
# A new file renamed into place, only in a folder of ours that no one else can write and that is
# not a link: nothing planted there is written through.
sub write_status {
  my $j = status_json();
  if ($selftest) { print "status $j"; return }
  my $dir = $o{runtime};
  my @s = lstat($dir);
  return unless @s;
  my $why = -l _ ? 'is a symbolic link' : !-d _ ? 'is not a directory' : $s[4] != $< ? 'is not owned by you' : ($s[2] & 022) ? 'is writable by others' : undef;
  if (defined $why) { logline("vpn: not writing the tunnel status: $dir $why") unless $refusedwrite++; return }
  my $tmp = "$dir/.vpn.json.$$." . int(rand(1e12)) . '.tmp';
  sysopen(my $f, $tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600) or return;
  my $ok = print $f $j;
  $ok = close($f) && $ok;
  unless ($ok && rename($tmp, "$dir/vpn.json")) { unlink $tmp }
}
sub set_state {
  my ($state, $msg, %extra) = @_;
  my $changed = $state ne $st{state} || (defined $msg ? (!defined $st{message} || $msg ne $st{message}) : defined $st{message});
  $frag{$_} = $extra{$_} for keys %extra;
  $st{since} = iso(now()) if $state ne $st{state};
  $st{state} = $state; $st{message} = $msg;
  $ever = 1 if $state eq 'connected';
  logline('vpn: ' . $state . (defined $msg && length $msg ? ": $msg" : '')) if $changed;
  write_status();
}

# ---- processes ----
sub start_of {
  my $pid = shift;
  open(my $f, '<', "/proc/$pid/stat") or return undef;
  my $s = <$f>; close $f;
  return undef unless defined $s;
  # The command name may hold spaces and parentheses: split after the last ')'.
  my @f = split / /, substr($s, rindex($s, ')') + 2);
  return undef if $f[0] eq 'Z' || $f[0] eq 'X';
  $f[19];
}
sub alive { my ($pid, $start) = @_; return 0 unless $pid; my $s = start_of($pid); defined $s && $s eq $start }
sub nap { select(undef, undef, undef, $_[0]) }
# TERM, then KILL after 2 s; the start time is checked before each signal, so a reused pid is never hit.
sub stop_helper {
  my ($pid, $start) = @_;
  for my $sig ('TERM', 'KILL') {
    return unless alive($pid, $start);
    kill $sig, $pid;
    for (1 .. 100) { return unless alive($pid, $start); nap(0.02) }
  }
}
my $nextwatch = 0;
# The sandbox is gone (its pid 1): nothing of it may stay behind.
sub watch {
  return if $selftest || time < $nextwatch;
  $nextwatch = time + 1;
  return if alive(@init);
  $stopping = 1;
  stop_helper(@$_) for @helpers;
  exit 0;
}
# Runs argv with stdout and stderr captured (at most 15 s): (exit status, output).
sub run_capture {
  my @argv = @_;
  pipe(my $r, my $w) or return (-1, "pipe: $!");
  my $pid = fork;
  return (-1, "fork: $!") unless defined $pid;
  if (!$pid) {
    close $r;
    open(STDIN, '<', '/dev/null'); open(STDOUT, '>&', $w); open(STDERR, '>&', $w);
    exec { $argv[0] } @argv;
    print STDERR "cannot run $argv[0]: $!\n";
    CORE::exit(127);
  }
  close $w;
  my $out = '';
  local $SIG{ALRM} = sub { kill 'KILL', $pid };
  alarm 15;
  while (1) { my $n = sysread($r, my $d, 65536); last unless $n; $out .= $d }
  alarm 0;
  close $r;
  waitpid($pid, 0);
  ($?, $out);
}

# ---- the client's output: relayed to the log a line at a time ----
my ($out, $outbuf, $optcand, $optionserr) = (undef, '', undef, undef);
sub emit {
  my $line = shift;
  $line =~ s/\r\z//;
  my $l = scrub($line);
  return unless defined $l;
  logline("$what: $l") if $l =~ /\S/;
  # OpenVPN's own "Options error: ..." is why it stopped when "Use --help ..." follows (a pushed
  # option it only warns about is not followed by that).
  my $at = index($l, 'Options error:');
  if ($at >= 0) { $optcand = substr($l, $at); $optcand =~ s/^\s+|\s+\z//g }
  elsif ($l =~ /Use --help for more information/ && defined $optcand && !defined $optionserr) { $optionserr = $optcand }
  elsif ($l =~ /\S/) { $optcand = undef }
}
sub read_output {
  my $n = sysread($out, my $d, 65536);
  if (!defined $n) { return if ($! + 0) == 11 || ($! + 0) == 4; $n = 0 }
  if ($n == 0) { emit($outbuf) if length $outbuf; $outbuf = ''; close $out; $out = undef; return }
  $outbuf .= $d;
  while ((my $i = index($outbuf, "\n")) >= 0) { emit(substr($outbuf, 0, $i)); substr($outbuf, 0, $i + 1) = '' }
  if (length($outbuf) > 65536) { emit($outbuf); $outbuf = '' }
}
if (defined $o{output} && !$selftest) {
  if (sysopen(my $f, $o{output}, O_RDONLY | O_NONBLOCK | O_NOFOLLOW)) {
    if (-p $f) { $out = $f } else { close $f; logline("vpn: cannot read the output of $what: not a pipe") }
  } else { logline("vpn: cannot read the output of $what: $!") }
}

# ---- the OpenVPN management socket ----
my ($mg, $mgbuf, $failed, $codeused, $pushpending) = (undef, '', undef, 0, 0);
my (%refused, @replies);
sub send_cmd { my $c = shift; if ($selftest) { print "send $c\n"; return } syswrite($mg, "$c\n") if $mg }
sub mq { my $v = shift; return undef if !defined $v || $v =~ /[\r\n\0]/; $v =~ s/\\/\\\\/g; $v =~ s/"/\\"/g; '"' . $v . '"' }
sub b64 {
  my $s = shift;
  my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '+', '/');
  my $r = '';
  for (my $i = 0; $i < length $s; $i += 3) {
    my $chunk = substr($s, $i, 3);
    my $n = length $chunk;
    my $v = unpack('N', $chunk . ("\0" x (4 - $n)));
    $r .= join('', map { $c[($v >> (26 - 6 * $_)) & 63] } 0 .. $n) . ('=' x (3 - $n));
  }
  $r;
}
# What the server asked for beyond a password and a static one-time code, in words, or undef.
sub unsupported {
  my $t = shift;
  return undef unless defined $t && length $t;
  return 'the server asks a second question after the password (a dynamic challenge), which Sandtray does not support yet' if $t =~ /^(?:CRV1|CR_TEXT):/;
  return 'the server asks for a login in a web browser, which Sandtray does not support yet' if $t =~ /^(?:WEB_AUTH|OPEN_URL):/;
  undef;
}
sub options_failure { '${OPTIONS_REFUSED}' . $_[0] }
my %WHY = (
  'connection-failed' => 'could not connect to the server', 'server_poll' => 'no answer from the server',
  'server-poll' => 'no answer from the server', 'connection-reset' => 'the server closed the connection',
  'ping-restart' => 'the server stopped answering', 'tls-error' => 'the TLS handshake with the server failed',
  'auth-failure' => 'the server refused the credentials', 'init_instance' => 'the client could not start the connection',
);
# Why OpenVPN starts over (its RECONNECTING reason), in words; on a first connect nothing was lost.
sub retry_message {
  my ($detail, $everc) = @_;
  my $reason = exists $WHY{$detail} ? $WHY{$detail} : length $detail ? "OpenVPN: $detail" : '';
  return length $reason ? "$reason; trying again" : 'trying again' unless $everc;
  length $reason ? "lost the connection: $reason; trying again" : 'lost the connection; trying again';
}
sub pw_needed {
  my ($w, $userpass, $flags, $text) = @_;
  # Never answer again with a secret that was refused: that would be a retry storm.
  if ($refused{$w}) { send_cmd('signal SIGTERM'); return }
  my $user = $sec{username};
  my $pass = $userpass ? $sec{password} : $sec{'key-passphrase'};
  if (!defined $pass || !length $pass || ($userpass && (!defined $user || !length $user))) {
    $failed = 'OpenVPN asked for ' . ($userpass ? 'a user name and password' : "the $w password") . ', and none is stored';
    set_state('failed', "$failed; store it with $CMD secret set $name " . ($userpass ? 'password' : 'key-passphrase') . $E);
    send_cmd('signal SIGTERM');
    return;
  }
  my $answer = $pass;
  if ($userpass && defined $flags) {
    # A one-time code is good once: a later re-authentication cannot reuse it.
    my $code = $sec{'${ONE_TIME_CODE}'};
    if (!defined $code || !length $code || $codeused) {
      $failed = $codeused
        ? "the server asked for the one-time code again (a reconnect), and the code given at start was already used; restart the sandbox ($CMD restart $name$E) and enter a new code"
        : 'the server asks for a one-time code ("' . hide($text) . "\") and none was given; restart the sandbox ($CMD restart $name$E) and enter the code";
      set_state('failed', $failed);
      send_cmd('signal SIGTERM');
      return;
    }
    $codeused = 1;
    $answer = ($flags & 2) ? "$pass$code" : 'SCRV1:' . b64($pass) . ':' . b64($code);
  }
  my ($qw, $qu, $qa) = (mq($w), mq($user), mq($answer));
  if (!defined $qw || !defined $qa || ($userpass && !defined $qu)) {
    $failed = 'a stored secret holds a line break, which OpenVPN cannot take';
    set_state('failed', "$failed; store it again with $CMD secret set $name " . ($userpass ? 'password' : 'key-passphrase') . $E);
    send_cmd('signal SIGTERM');
    return;
  }
  send_cmd("username $qw $qu") if $userpass;
  send_cmd("password $qw $qa");
}
sub pw_failed {
  my ($w, $reason) = @_;
  $refused{$w} = 1;
  my $un = unsupported($reason);
  if ($un) { $failed = $un; set_state('failed', "$un; this VPN cannot be used with Sandtray for now"); return }
  $failed = $w ne 'Auth' ? 'the private key passphrase is wrong'
    : 'authentication failed: the server refused the ' . ($codeused ? 'user name, password or one-time code' : 'user name or password');
  my $fix = $w ne 'Auth' ? "fix it with $CMD secret set $name key-passphrase$E, then restart the sandbox"
    : $codeused ? "check the user name and password ($CMD secret set $name password$E), then restart the sandbox and enter a new code"
    : "fix it with $CMD secret set $name password$E, then restart the sandbox";
  my $said = defined $reason && length $reason ? ' (the server said: ' . hide($reason) . ')' : '';
  set_state('failed', "$failed$said; $fix");
}
# CONNECTED: a short-lived Node process computes the tunnel's settings from the pushed options,
# moves the device into the sandbox, configures it and writes its resolv.conf; it prints the
# status fields (JSON values), notes for the log and an error, if any.
sub bring_up {
  my $endpoint = shift;
  my $in = '{"spec":' . $o{'bringup-spec'} . ',"replies":[' . join(',', map { jstr($_) } @replies) . ']}' . "\n";
  if ($selftest) { print "bringup $in"; set_state('connected', undef, endpoint => jstr($endpoint)); return }
  my ($err, %f) = (undef);
  pipe(my $cr, my $pw) or return set_state('failed', "could not set up the tunnel inside the sandbox: pipe: $!");
  pipe(my $pr, my $cw) or return set_state('failed', "could not set up the tunnel inside the sandbox: pipe: $!");
  my $pid = fork;
  return set_state('failed', "could not set up the tunnel inside the sandbox: fork: $!") unless defined $pid;
  if (!$pid) {
    close $pw; close $pr; close $out if $out; close $mg if $mg;
    open(STDIN, '<&', $cr); open(STDOUT, '>&', $cw);
    $ENV{$_} = $buenv{$_} for keys %buenv;
    exec { $bu[0] } @bu;
    CORE::exit(127);
  }
  close $cr; close $cw;
  # Each of its steps has its own limit; the whole is bounded too, so a step that hangs cannot
  # stop the agent from following the client (it is then reported as killed).
  local $SIG{ALRM} = sub { kill 'KILL', $pid };
  alarm 60;
  print $pw $in; close $pw;
  my $res = '';
  while (1) { my $n = sysread($pr, my $d, 65536); last unless $n; $res .= $d }
  alarm 0;
  close $pr;
  waitpid($pid, 0);
  my $rc = $?;
  for my $l (split /\n/, $res) {
    my ($k, $v) = split /\t/, $l, 2;
    next unless defined $v;
    if ($k eq 'log') { logline('vpn: ' . pack('H*', $v)) }
    elsif ($k eq 'error') { $err = pack('H*', $v) }
    elsif ($k =~ /^(?:addresses|routes|dns|domains|mtu)\z/) { $f{$k} = $v }
  }
  $err = 'the step that configures it ' . ($rc & 127 ? 'was killed' : 'exited with status ' . ($rc >> 8)) if !defined $err && ($rc != 0 || keys(%f) < 5);
  return set_state('failed', "could not set up the tunnel inside the sandbox: $err") if defined $err;
  set_state('connected', undef, %f, endpoint => jstr($endpoint));
}
my %CONNECTING = map { $_ => 1 } qw(CONNECTING WAIT AUTH GET_CONFIG ASSIGN_IP ADD_ROUTES RESOLVE TCP_CONNECT AUTH_PENDING);
sub mgmt_line {
  my $line = shift;
  $line =~ s/\r\z//;
  if ($line =~ /^>HOLD:/) { send_cmd('hold release'); return }
  if ($line =~ /^>PASSWORD:(.*)\z/s) {
    my $rest = $1;
    # "Verification Failed: 'Auth' ['CRV1:...']": the reason the server gave, when it gave one.
    if (my @m = $rest =~ /^Verification Failed:(?: '([^']*)')?(?: \['(.*)'\])?/) { return pw_failed(defined $m[0] ? $m[0] : 'Auth', $m[1]) }
    if (my @m = $rest =~ m{^Need '([^']*)' (username/password|password)(?: SC:(\d+),(.*))?\z}) { return pw_needed($m[0], $m[1] eq 'username/password', $m[2], defined $m[3] ? $m[3] : '') }
  }
  if ($line =~ /^>INFOMSG:(.*)\z/s) {
    my $un = unsupported($1);
    if ($un && !$failed) { $failed = $un; set_state('failed', "$un; this VPN cannot be used with Sandtray for now"); send_cmd('signal SIGTERM') }
    return;
  }
  if ($line =~ /^>STATE:(.*)\z/s) {
    my @f = map { defined $_ ? $_ : '' } (split(/,/, $1, -1))[1 .. 5];
    my ($sn, $detail, $remote, $port) = @f[0, 1, 3, 4];
    if ($sn eq 'CONNECTED') {
      $remote = '127.0.0.1' if $remote eq $o{gateway};
      bring_up(length $remote ? ($remote =~ /:/ ? "[$remote]" : $remote) . ":$port" : undef);
    } elsif ($sn eq 'RECONNECTING') {
      set_state($ever ? 'reconnecting' : 'connecting', retry_message(hide($detail), $ever)) unless $failed;
    } elsif ($sn eq 'EXITING') {
      unless ($failed) { my $d = hide($detail); set_state('failed', defined $optionserr ? options_failure($optionserr) : 'the OpenVPN client stopped (' . (length $d ? $d : 'exit') . ')') }
      $failed = $detail unless defined $failed;
    } elsif ($CONNECTING{$sn} && $st{state} eq 'connected') {
      set_state('reconnecting', undef);
    }
    return;
  }
  if ($line =~ /^>LOG:(.*)\z/s) {
    my $rest = $1;
    my @p = split /,/, $rest, 3;
    my $msg = @p == 3 ? $p[2] : $rest;
    my $pre = "PUSH: Received control message: '";
    my $at = index($msg, $pre);
    if ($at >= 0) {
      my $body = substr($msg, $at + length $pre);
      $body =~ s/'\z//;
      if ($body =~ /^PUSH_REPLY/) {
        # A long reply comes in parts, each but the last ending with push-continuation 2.
        @replies = () unless $pushpending;
        push @replies, $body;
        $pushpending = $body =~ /(?:^|,)\s*push-continuation 2\s*(?:,|\z)/ ? 1 : 0;
      }
    }
    return;
  }
  if ($line =~ /^>FATAL:(.*)\z/s) {
    my $m = $1;
    return if $failed;
    $failed = $m =~ /private key password verification failed/i
      ? "the private key passphrase is wrong; fix it with $CMD secret set $name key-passphrase$E, then restart the sandbox" : hide($m);
    set_state('failed', $failed);
  }
}
# Lines from the management socket. The client's lines are short; one longer than MGMT_MAX (only a
# client that lost its mind sends that) is dropped up to its end, so the agent's memory stays bounded.
my $MGMT_MAX = 1048576;
my $mgskip = 0;
sub mgmt_data {
  $mgbuf .= shift;
  while ((my $i = index($mgbuf, "\n")) >= 0) {
    my $l = substr($mgbuf, 0, $i); substr($mgbuf, 0, $i + 1) = '';
    if ($mgskip) { $mgskip = 0; next }
    mgmt_line($l);
  }
  if (length $mgbuf > $MGMT_MAX) {
    logline('vpn: a line of more than 1 MiB from the client\'s management interface was dropped') unless $mgskip;
    $mgbuf = ''; $mgskip = 1;
  }
}
sub read_mgmt {
  my $n = sysread($mg, my $d, 65536);
  if (!defined $n) { return if ($! + 0) == 11 || ($! + 0) == 4; $n = 0 }
  if ($n == 0) { mgmt_line($mgbuf) if length $mgbuf && !$mgskip; $mgbuf = ''; close $mg; $mg = undef; return }
  mgmt_data($d);
}

# ---- the loop ----
# Waits up to t seconds for the client's output or the management socket, handling what comes.
sub pump {
  my $t = shift;
  watch();
  my $rin = '';
  vec($rin, fileno($out), 1) = 1 if $out;
  vec($rin, fileno($mg), 1) = 1 if $mg;
  my $rout = $rin;
  my $n = 0;
  if (length $rin) { $n = select($rout, undef, undef, $t) } else { nap($t) }
  if ($n && $n > 0) {
    read_output() if $out && vec($rout, fileno($out), 1);
    read_mgmt() if $mg && vec($rout, fileno($mg), 1);
  }
  watch();
}
sub pump_for { my $end = time + $_[0]; while (time < $end) { pump(0.5) } }
# Waits (at most 3 s) for the rest of the client's output once it has exited.
sub drain_output { my $end = time + 3; while ($out && time <= $end) { pump(0.2) } }
# Once the client has exited, its device is gone from the sandbox: the status lists no addresses or routes.
sub client_gone {
  for (1 .. 50) { last unless alive(@client[0, 1]); pump(0.1) }
  return if alive(@client[0, 1]) || $stopping;
  $frag{addresses} = '[]'; $frag{routes} = '[]';
  write_status();
}
sub after_close {
  if (!$stopping && $st{state} ne 'failed') {
    drain_output() unless $selftest;
    set_state('failed', defined $optionserr ? options_failure($optionserr) : "the OpenVPN client exited; see $CMD log$E");
  }
}

# WireGuard's state from the latest handshake (seconds since the epoch, 0: never) and the bytes
# sent: it shakes hands only when it has something to send, so an old handshake alone means an
# idle tunnel; it is "reconnecting" once something was sent after the session expired and no
# handshake followed. Messages name fixed times, so a state is logged once.
my ($slatest, $ssent, $strying);
sub wg_state {
  my ($nowsec, $latest, $sent) = @_;
  if ($latest == 0) {
    $slatest = undef;
    return $ever ? ('reconnecting', 'no handshake with the peer') : ('connecting', 'waiting for the first handshake with the peer');
  }
  if ($nowsec - $latest < ${WG_STALE_SEC}) { $slatest = undef; return ('connected', undef) }
  if (!defined $slatest || $slatest != $latest) { ($slatest, $ssent, $strying) = ($latest, $sent, 0) }
  $strying = 1 if $sent > $ssent;
  my $since = iso($latest, 0);
  $strying ? ('reconnecting', "no answer from the peer since $since") : ('connected', "idle since $since: WireGuard shakes hands again when there is traffic");
}

if ($selftest) {
  while (defined(my $l = <STDIN>)) {
    chomp $l;
    my ($k, @a) = split / /, $l;
    if ($k eq 'mgmt') { mgmt_line(pack('H*', $a[0] // '')) }
    elsif ($k eq 'mgmtdata') { mgmt_data(pack('H*', $a[0] // '')) }
    elsif ($k eq 'out') { emit(pack('H*', $a[0] // '')) }
    elsif ($k eq 'eof') { after_close() }
    elsif ($k eq 'wg') { set_state(wg_state(@a)) }
    elsif ($k eq 'secrets') { print 'secrets ' . join(',', map { $_ . '=' . $sec{$_} } sort keys %sec) . "\n" }
  }
  exit 0;
}

# The engine holds the client's pipe open until the status file exists: it is opened above.
write_status();
if ($o{type} eq 'openvpn') {
  my $end = time + 15;
  while (time < $end && alive(@client[0, 1])) {
    if (socket(my $s, PF_UNIX, SOCK_STREAM, 0)) {
      if (connect($s, pack_sockaddr_un($o{socket}))) { $mg = $s; last }
    }
    pump(0.05);
  }
  if (!$mg) {
    # The client stops on an error in its options before it opens its socket: its last words
    # are still on the way through the pipe.
    drain_output();
    set_state('failed', defined $optionserr ? options_failure($optionserr) : '${NOT_REACHED}; see ' . "$CMD log$E");
  } else {
    send_cmd('state on');
    send_cmd('log on');
    send_cmd('hold release');
    pump(1) while $mg;
    after_close();
    client_gone();
  }
} else {
  my $readerr;
  while (1) {
    if (!alive(@client[0, 1])) {
      set_state('failed', "$what exited; the sandbox has no route out until it is restarted");
      client_gone();
      last;
    }
    my ($rc, $o1) = run_capture(@hs);
    my ($rc2, $o2) = $rc == 0 ? run_capture(@tx) : ($rc, $o1);
    if ($rc == 0 && $rc2 == 0) {
      my ($latest, $sent) = (0, 0);
      for (split /\n/, $o1) { my @f = split /\t/; $latest = $f[1] if @f > 1 && $f[1] =~ /^\d+\z/ && $f[1] > $latest }
      for (split /\n/, $o2) { my @f = split /\t/; $sent += $f[2] if @f > 2 && $f[2] =~ /^\d+\z/ }
      my ($s, $ms) = now();
      set_state(wg_state($s + $ms / 1000, $latest, $sent));
      $readerr = undef;
    } else {
      my @why = grep { /\S/ } split /\n/, $o2;
      my $msg = 'Reading the WireGuard state failed: ' . (@why ? join('; ', @why[($#why > 2 ? $#why - 2 : 0) .. $#why]) : "status $rc2");
      # Said once, not on every poll.
      logline("vpn: reading the WireGuard state failed: $msg") if alive(@client[0, 1]) && (!defined $readerr || $msg ne $readerr);
      $readerr = $msg;
    }
    pump_for($st{state} eq 'connected' ? 5 : 1);
  }
}
# A failed tunnel stays failed: keep watching the sandbox so its helpers go with it.
pump(1) while 1;
`;

/** A value on the agent's stdin: hex, so that any byte (a secret's, a path's) passes on one line. */
function hex(v: string): string {
  return Buffer.from(v, 'utf8').toString('hex');
}

export interface ProcRef {
  pid: number;
  start: number;
}

/** What the agent needs to know: all of it goes to its stdin (agentInput), nothing to argv or the environment. */
export interface AgentSpec {
  name: string;
  type: 'openvpn' | 'wireguard';
  init: ProcRef;
  client: ProcRef & { what: string };
  /** Everything to stop when the sandbox dies under us (pasta, the client, the uplink). */
  helpers: (ProcRef & { what: string })[];
  runtimeDir: string;
  logFile: string;
  dev: string;
  /** The uplink's gateway (the host's loopback there): a remote at it is shown as 127.0.0.1. */
  gateway: string;
  /** The pipe the jailed client writes its output to: the agent relays it to the lifecycle log. */
  output?: string;
  /** gettimeofday's system call number (milliseconds in timestamps), when known. */
  gettimeofday?: number;
  openvpn?: {
    socket: string;
    secrets: Record<string, string>;
    /** argv of the step that brings the tunnel up on CONNECTED, its environment, and its input (JSON). */
    bringUp: { argv: string[]; env: Record<string, string>; spec: string };
  };
  wireguard?: {
    /** The status fields known at start: JSON values of addresses, routes, dns, domains, endpoint, mtu. */
    status: Record<string, string>;
    /** argv of `wg show DEV latest-handshakes` and `wg show DEV transfer` in the interface's namespaces. */
    handshakes: string[];
    transfer: string[];
  };
}

/** The agent's stdin: one `KEY HEX` line each. */
export function agentInput(s: AgentSpec): string {
  const lines: [string, string][] = [
    ['name', s.name], ['type', s.type], ['init', `${s.init.pid} ${s.init.start}`],
    ['client', `${s.client.pid} ${s.client.start} ${s.client.what}`],
    ['runtime', s.runtimeDir], ['log', s.logFile], ['dev', s.dev], ['gateway', s.gateway],
    ...s.helpers.map((h): [string, string] => ['helper', `${h.pid} ${h.start} ${h.what}`]),
  ];
  if (s.output) lines.push(['output', s.output]);
  if (s.gettimeofday) lines.push(['tod', String(s.gettimeofday)]);
  if (s.openvpn) {
    lines.push(['socket', s.openvpn.socket], ['bringup-spec', s.openvpn.bringUp.spec]);
    for (const [k, v] of Object.entries(s.openvpn.secrets)) {
      if (k.includes('=')) throw new Error(`bad secret name ${k}`);
      lines.push(['secret', `${k}=${v}`]);
    }
    for (const a of s.openvpn.bringUp.argv) lines.push(['bringup', a]);
    for (const [k, v] of Object.entries(s.openvpn.bringUp.env)) lines.push(['bringup-env', `${k}=${v}`]);
  }
  if (s.wireguard) {
    for (const [k, v] of Object.entries(s.wireguard.status)) lines.push([`status.${k}`, v]);
    for (const a of s.wireguard.handshakes) lines.push(['wg-hs', a]);
    for (const a of s.wireguard.transfer) lines.push(['wg-tx', a]);
  }
  return lines.map(([k, v]) => `${k} ${hex(v)}\n`).join('');
}

/** gettimeofday's number on this machine's ABI (for milliseconds in the agent's timestamps). */
export function gettimeofdayNumber(arch: string = process.arch): number | undefined {
  return ({ x64: 96, arm64: 169 } as Record<string, number>)[arch];
}

/** argv of the agent: perl, the script, nothing else (its instructions arrive on stdin). */
export function agentArgv(perl: string, selftest = false): string[] {
  return [perl, '-e', AGENT_SCRIPT, '--', ...(selftest ? ['selftest'] : [])];
}

/** OpenVPN's `Options error: ...` in a line of its output (after its timestamp, if any), or null. */
export function optionsErrorOf(line: string): string | null {
  const at = line.indexOf('Options error:');
  return at < 0 ? null : line.slice(at).trim();
}

/** The state message for a client that stopped on an error in its options, in OpenVPN's words. */
export function optionsFailure(optionsError: string): string {
  return `${OPTIONS_REFUSED}${optionsError}`;
}
