// Writing id maps into new user namespaces: newuidmap on the host, direct writes where we may.
//
// util-linux 2.38 `unshare --map-users` keeps only its last range and always goes through
// newuidmap, which is useless inside a sandbox (no setuid there). So the engine creates the
// namespace with a bare `unshare --user`, lets a small sh wait on a pipe, and writes the maps
// itself: through the setuid newuidmap/newgidmap when it is an ordinary user, straight into
// /proc/PID/uid_map when it holds CAP_SETUID/CAP_SETGID in its own user namespace (the nested
// sandtray, root of its sandbox), or, with neither, the one map the kernel lets anyone write:
// its own uid and gid, nothing else.
import { spawnChild } from '../host/spawn-child.js';
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { spawnTool } from '../host/spawn.js';
import { SandtrayError } from '../core/errors.js';
import { requireTool, which } from '../host/tools.js';
import { closeFdsPrefix } from '../host/close-fds.js';
import { SANDBOX_PATH } from '../plan/etc-files.js';
import { newuidmapArgs, type IdMap, type MapLine } from './map.js';

/** newuidmap: the setuid helpers; write: we hold CAP_SETUID/CAP_SETGID; write-own: only our own ids. */
export type MapWriter = 'newuidmap' | 'write' | 'write-own';

const CAP_SETGID = 6n;
const CAP_SETUID = 7n;
// Mapping an outside 0 (the nested case: root of the parent sandbox) needs CAP_SETFCAP too.
const CAP_SETFCAP = 31n;

// The kernel takes a map in one write() of less than a page.
export const MAP_TEXT_MAX = 4095;

/** Our effective capability set, from /proc/self/status (0 when unreadable). */
export function effectiveCaps(statusText?: string): bigint {
  let text = statusText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/status', 'utf8');
    } catch {
      return 0n;
    }
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** True when we may write any map of our namespace's ids into a child user namespace. */
export function canWriteMaps(caps: bigint = effectiveCaps()): boolean {
  return [CAP_SETUID, CAP_SETGID, CAP_SETFCAP].every((c) => (caps >> c) & 1n);
}

/** True when the map holds only our own uid and gid, once each: what anyone may write. */
export function isOwnIdMap(map: IdMap, uid: number, gid: number): boolean {
  const own = (lines: readonly MapLine[], id: number): boolean => lines.length === 1 && lines[0]!.count === 1 && lines[0]!.outside === id;
  return own(map.uid, uid) && own(map.gid, gid);
}

/** How a map of outside ids (ids of our namespace) gets written into a child namespace. */
export function mapWriter(map: IdMap, uid = process.getuid?.() ?? 0, gid = process.getgid?.() ?? 0, caps = effectiveCaps()): MapWriter {
  if (canWriteMaps(caps)) return 'write';
  if (isOwnIdMap(map, uid, gid)) return 'write-own';
  return 'newuidmap';
}

/** Whether maps beyond our own ids can be written here at all (setuid helpers or capabilities). */
export function canMapSubordinateIds(): { ok: boolean; how: string } {
  if (canWriteMaps()) return { ok: true, how: 'written directly (this process is root of its user namespace, with CAP_SETUID and CAP_SETGID)' };
  const u = which('newuidmap');
  const g = which('newgidmap');
  if (u && g) return { ok: true, how: `written by ${u} and ${g}` };
  return { ok: false, how: 'newuidmap/newgidmap are missing and this process lacks CAP_SETUID: only your own uid and gid can be mapped' };
}

/** The text of /proc/PID/uid_map for these lines, as written (unpadded). */
export function mapText(lines: readonly MapLine[]): string {
  return lines.map((l) => `${l.inside} ${l.outside} ${l.count}\n`).join('');
}

/**
 * The map that gives every outside id of `map` the same number inside. The engine's outer user
 * namespace uses it: inside it, the host's ids keep their numbers, so the sandbox's namespace
 * below shows the host ids in its own /proc/self/uid_map, as the plan says.
 */
export function mirrorMap(map: IdMap): IdMap {
  const mirror = (lines: readonly MapLine[]): MapLine[] => lines.map((l) => ({ inside: l.outside, outside: l.outside, count: l.count }));
  return { uid: mirror(map.uid), gid: mirror(map.gid) };
}

function writeProcFile(pid: number, file: string, text: string): void {
  // One write of the whole text (O_WRONLY, no O_TRUNC): the kernel accepts a map only once.
  const fd = fs.openSync(`/proc/${pid}/${file}`, fs.constants.O_WRONLY);
  try {
    const n = fs.writeSync(fd, text);
    if (n !== Buffer.byteLength(text)) throw new Error(`short write to /proc/${pid}/${file}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs newuidmap or newgidmap: its exit code and what it said on stderr. */
function runSetuidTool(file: string, args: readonly string[]): Promise<{ exitCode: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnChild(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: SANDBOX_PATH, LANG: 'C.UTF-8' } });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr += d));
    child.once('error', (err) => resolve({ exitCode: null, stderr: err.message }));
    child.once('close', (code) => resolve({ exitCode: code, stderr }));
  });
}

/** Writes the uid and gid maps of the user namespace of `pid`. */
export async function applyIdMap(pid: number, map: IdMap, writer: MapWriter): Promise<void> {
  const texts = { uid: mapText(map.uid), gid: mapText(map.gid) };
  for (const kind of ['uid', 'gid'] as const) {
    if (texts[kind].length > MAP_TEXT_MAX) {
      throw new SandtrayError(
        'IDMAP',
        `The ${kind} map has ${map[kind].length} lines, more than the kernel takes in one write`,
        'The subordinate ranges are too fragmented: ask an administrator for one contiguous range, or delete isolated sandboxes to defragment the leases.',
      );
    }
  }
  if (writer === 'newuidmap') {
    // Both at once, through plain child_process: this is on every start's path.
    const [u, g] = await Promise.all([
      runSetuidTool(requireTool('newuidmap'), newuidmapArgs(pid, map.uid)),
      runSetuidTool(requireTool('newgidmap'), newuidmapArgs(pid, map.gid)),
    ]);
    for (const [tool, r] of [['newuidmap', u], ['newgidmap', g]] as const) {
      if (r.exitCode !== 0) {
        throw new SandtrayError(
          'IDMAP',
          `${tool} refused the id map: ${String(r.stderr).trim() || `exit code ${r.exitCode}`}`,
          'Your subordinate ids may have changed: see `sandtray idmap` and `sandtray doctor`.',
        );
      }
    }
    return;
  }
  try {
    // Without CAP_SETGID the kernel takes a gid map only once setgroups is denied.
    if (writer === 'write-own') writeProcFile(pid, 'setgroups', 'deny');
    writeProcFile(pid, 'uid_map', texts.uid);
    writeProcFile(pid, 'gid_map', texts.gid);
  } catch (err) {
    throw new SandtrayError('IDMAP', `Cannot write the id map of process ${pid}: ${(err as Error).message}`, 'Run `sandtray doctor`.', err);
  }
}

/** Reads progress lines from a pipe (the user namespace handshakes), in order. */
export class ProgressLines {
  private buf = '';
  private ended = false;
  private waiter: (() => void) | null = null;

  constructor(private readonly stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => ((this.buf += d), this.wake()));
    stream.on('end', () => ((this.ended = true), this.wake()));
    stream.on('error', () => ((this.ended = true), this.wake()));
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next line, or null at EOF. */
  async next(): Promise<string | null> {
    while (!this.buf.includes('\n') && !this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
    const i = this.buf.indexOf('\n');
    if (i < 0) return null;
    const line = this.buf.slice(0, i);
    this.buf = this.buf.slice(i + 1);
    return line;
  }

  /** Stops reading and lets the process exit without waiting for the pipe. */
  close(): void {
    this.stream.destroy();
  }
}

/** Sends the "go" line a waiting stage reads, and closes our end. */
export function sendGo(stream: Writable, close = true): void {
  if (close) stream.end('go\n');
  else stream.write('go\n');
}

// One user namespace, then the command: used to act on files of subordinate ids (delete).
// fd 3: "a" once the namespace exists; fd 4: "go" once its maps are written.
const ONE_LEVEL_SCRIPT = 'printf "a\\n" >&3 || exit 1; read -r go <&4 && [ "$go" = go ] || exit 1; exec 3>&- 4<&-; exec "$@"';

/** Runs argv as root of a new user namespace with this map; returns its exit code and output. */
export async function runInUserns(map: IdMap, argv: readonly string[], opts: { timeoutMs?: number } = {}) {
  const writer = mapWriter(map);
  // Through the launcher (closeFdsPrefix): where AppArmor restricts user namespaces, only it may make them.
  const [file, ...args] = [...closeFdsPrefix(4), requireTool('unshare'), '--user', '--', '/bin/sh', '-c', ONE_LEVEL_SCRIPT, 'sandtray-userns', ...argv];
  const child = spawnTool(file!, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    reject: false,
    env: { PATH: SANDBOX_PATH, LANG: 'C.UTF-8' },
    timeout: opts.timeoutMs ?? 120_000,
    stripFinalNewline: false,
  });
  const fds = child.stdio as unknown as (Readable & Writable)[];
  const status = new ProgressLines(fds[3]!);
  const go: Writable = fds[4]!;
  try {
    if ((await status.next()) !== 'a') {
      const r = await child;
      throw new SandtrayError('IDMAP', `Cannot create a user namespace: ${String(r.stderr).trim() || `exit code ${r.exitCode}`}`, 'Run `sandtray doctor`.');
    }
    await applyIdMap(child.pid!, map, writer);
    sendGo(go);
  } catch (err) {
    child.kill('SIGKILL');
    await child;
    throw err;
  } finally {
    status.close();
  }
  const r = await child;
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

// The launch chain's two user namespaces, made before bwrap runs and held by two small processes
// until bwrap has joined them (see runtime/launch.ts). The launch step (runtime/launch-step.ts,
// perl) makes them itself with fork and the unshare system call; neither holder executes anything,
// so a start pays for no `unshare` or `sh` of its own:
//
// - the outer namespace maps every id of the plan to the same number (the launch step writes that
//   map through newuidmap, or directly where it may, once the outer holder says "a", then says
//   "go" with the nesting limit and the sandbox's map). bwrap enters it and makes every other namespace of the sandbox (mount, pid, uts, ipc, net,
//   cgroup) there, so they all belong to it;
// - the sandbox's namespace, a child of the outer one, with the plan's map, written by the outer
//   holder: it made the outer namespace with unshare and executed nothing since, so it holds every
//   capability there (what `unshare --keep-caps` kept across the exec of a shell before). Pid 1
//   joins it last (confine/enter.ts), so root inside holds no capability over the namespaces that
//   hold its mounts: the kernel refuses every mount, remount and unmount there, whatever
//   capabilities root holds.
//
// Nesting off: the outer holder lowers the outer namespace's user.max_user_namespaces to 1 before
// it makes the sandbox's namespace. A seccomp filter binds only the processes it is loaded into;
// the limit belongs to the namespace, so it holds for every process that is or joins the sandbox.
// Root inside holds CAP_SYS_RESOURCE over at most its own namespace, never over the outer one, so
// it cannot raise the limit, and the count there is already 1: every further user namespace below
// fails with ENOSPC.
//
// The outer holder reports to the launch step one line each: "a" (outer made: write its map),
// "c PID" (the sandbox's namespace made and mapped: PID holds it), or "e holder MESSAGE". The
// outer holder exits when the step closes its "go" pipe, the inner one when the step closes its
// "keep" pipe (the step closes both once bwrap holds the namespaces, or when it ends). Each holder
// keeps only its pipes beside stdio, and is named sandtray-userns in `ps`.
//
// The outer namespace needs nothing of the sandbox but its outer map, so a prepared launch step
// (runtime/prepared.ts) can make and map it before the start that uses it: the sandbox's part,
// "go LIMIT;UIDS;GIDS", comes only with the start.
//
// USERNS_SCRIPT is perl that the launch step includes: start_holders() forks the outer holder and
// returns its pid, the progress pipe to read and the two pipes to close. It needs, from the step:
// %o (unshare, close_range, close: system call numbers) and fail().
export const USERNS_SCRIPT = String.raw`
# sandtray-userns: see helpers/idmap/userns.ts
sub close_fds {
  my ($lo, $hi) = @_;
  return if $hi < $lo;
  if (syscall($o{close_range} + 0, $lo, $hi, 0) < 0) { for my $fd ($lo .. ($hi > 1023 ? 1023 : $hi)) { syscall($o{close} + 0, $fd) } }
}
# Closes every descriptor above stdio but these handles'.
sub keep_only {
  my $lo = 3;
  for my $f (sort { $a <=> $b } map { fileno $_ } @_) { close_fds($lo, $f - 1); $lo = $f + 1 }
  close_fds($lo, 0xffffffff);
}
sub map_lines { my $t = shift; $t =~ s/(\S+) (\S+) (\S+) ?/$1 $2 $3\n/g; $t }
sub start_holders {
  pipe(my $sr, my $sw) or fail('internal', "pipe: $!");
  pipe(my $gr, my $gw) or fail('internal', "pipe: $!");
  pipe(my $kr, my $kw) or fail('internal', "pipe: $!");
  my $pid = fork();
  defined $pid or fail('internal', "fork: $!");
  if ($pid) { close $sw; close $gr; close $kr; return ($pid, $sr, $gw, $kw) }
  # The outer holder. The step's handles it closes below would each warn when perl exits.
  $0 = 'sandtray-userns';
  $SIG{__WARN__} = sub {};
  close $sr; close $gw; close $kw;
  keep_only($sw, $gr, $kr);
  my $say = sub { syswrite($sw, "$_[0]\n") };
  my $die = sub { (my $m = "$_[0]") =~ s/[^\x20-\x7e]/?/g; $say->("e holder $m"); exit 1 };
  syscall($o{unshare} + 0, 0x10000000) == 0 or $die->("cannot make a user namespace: $!");
  $say->('a');
  # The inner holder is forked while the step writes the outer map (it must be forked in the outer
  # namespace) and makes the sandbox's namespace only when told, once the nesting limit is set.
  pipe(my $ur, my $uw) or $die->("pipe: $!");
  pipe(my $br, my $bw) or $die->("pipe: $!");
  my $inner = fork();
  defined $inner or $die->("fork: $!");
  if (!$inner) {
    # The inner holder: the sandbox's namespace, until the step closes "keep".
    close $br; close $gr; close $sw; close $uw;
    (sysread($ur, my $u, 1) // 0) == 1 or exit 0;
    close $ur;
    syscall($o{unshare} + 0, 0x10000000) == 0 or do { syswrite($bw, "e $!\n"); exit 1 };
    syswrite($bw, "b\n");
    close $bw;
    1 while sysread($kr, my $x, 64);
    exit 0;
  }
  close $bw; close $kr; close $ur;
  # "go LIMIT;UIDS;GIDS": the nesting limit and the sandbox's map, once the outer map is written.
  my $go = '';
  while ($go !~ /\n/) { my $r = sysread($gr, $go, 65536, length $go); exit 1 if !$r }
  $go =~ /^go ([^;\n]*);([^;\n]*);([^;\n]*)\n/ or exit 1;
  my ($limit, $uids, $gids) = ($1, $2, $3);
  if ($limit ne 'none') {
    open(my $f, '>', '/proc/sys/user/max_user_namespaces') or $die->("cannot limit nesting: $!");
    syswrite($f, "$limit\n") or $die->("cannot limit nesting: $!");
    close $f;
  }
  syswrite($uw, 'u');
  close $uw;
  my $b = '';
  sysread($br, $b, 512);
  close $br;
  if ($b ne "b\n") { $b =~ s/^e //; $b =~ s/\n.*//s; $die->("cannot make the sandbox's user namespace: " . ($b ne '' ? $b : 'its holder exited')) }
  for my $m (['uid_map', $uids], ['gid_map', $gids]) {
    my $text = map_lines($m->[1]);
    open(my $f, '>', "/proc/$inner/$m->[0]") or $die->("the sandbox's id map was refused: $!");
    (syswrite($f, $text) // -1) == length $text or $die->("the sandbox's id map was refused: $!");
    close $f;
  }
  $say->("c $inner");
  close $sw;
  1 while sysread($gr, my $x, 64);
  waitpid($inner, 0);
  exit 0;
}
`;

/**
 * The user namespace holders' part of a plan: their name, the nesting limit (1, or none with
 * nesting) and the sandbox's uid and gid maps, as the launch step takes them.
 */
export function usernsArgv(map: IdMap, opts: { nesting: boolean }): string[] {
  const words = (lines: readonly MapLine[]): string => lines.map((l) => `${l.inside} ${l.outside} ${l.count}`).join(' ');
  return ['sandtray-userns', opts.nesting ? 'none' : '1', words(map.uid), words(map.gid)];
}
