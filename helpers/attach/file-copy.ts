// `file push` and `file pull`: copying one regular file into or out of a running sandbox.
//
// The sandbox's file system is its own: root inside may plant symbolic links (`/tmp/x ->
// /home/USER/secret`, `../../..`), FIFOs and devices anywhere it can write, and change them at any
// moment. A path inside is therefore never resolved from the host (through /proc/PID/root an
// absolute link or `..` leads back out into the host's tree). The sandbox's side of the copy is a
// small Perl program run by the attach step, confined as every `exec` is: in the sandbox's mount
// namespace, chrooted to its root, as its root. Whatever a link inside says, it resolves inside.
// The bytes cross through pipes; the host side alone opens host paths, and opens them itself.
//
// Both directions frame the data with its length, so a copy cut short (a killed CLI, a process
// inside that ends early) is refused instead of leaving a truncated file in place; each side
// writes a temporary file next to the destination and renames it over the destination only once
// every byte arrived. A rename replaces a link at the destination instead of following it.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawnChild } from '../host/spawn-child.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import { requireTool } from '../host/tools.js';
import { attachSpec } from './attach.js';
import { readRuntime } from '../runtime/state.js';
import { sandboxDirs } from '../runtime/store.js';

/**
 * The sandbox's side. pull PATH: open without blocking (a FIFO or terminal cannot hold it up),
 * refuse anything but a regular file, print "MODE SIZE\n" and then at most SIZE bytes (a file that
 * grows meanwhile is cut at the size it had). push PATH MODE UID GID MKDIRS BASE: read "SIZE\n" and
 * SIZE bytes from stdin into a new file beside PATH (PATH/BASE when PATH is an existing folder or
 * ends with a slash; MKDIRS creates the missing folders), set its owner and mode, and rename it over PATH only when all SIZE bytes came.
 * Failures are one line "sandtray-file: WHAT: REASON" on stderr and exit 3. Flags are numbers,
 * the same on x86_64 and aarch64 (O_WRONLY 1, O_CREAT 0x40, O_EXCL 0x80, O_NOCTTY 0x100,
 * O_NONBLOCK 0x800), so that no module is loaded.
 */
export const FILE_SCRIPT = String.raw`
my ($op, $path, @a) = @ARGV;
sub fail { my $m = join(': ', @_); $m =~ s/[^\x20-\x7e]/?/g; print STDERR "sandtray-file: $m\n"; exit 3 }
binmode STDIN; binmode STDOUT;
if ($op eq 'pull') {
  sysopen(my $f, $path, 0x800 | 0x100) or fail('open', $!);
  my @st = stat($f) or fail('stat', $!);
  -f _ or fail('type', -d _ ? 'a folder' : -p _ ? 'a FIFO' : (-c _ || -b _) ? 'a device' : -S _ ? 'a socket' : 'not a regular file');
  my ($mode, $left) = ($st[2] & 07777, $st[7]);
  syswrite(STDOUT, sprintf("%o %d\n", $mode, $left)) or fail('write', $!);
  while ($left > 0) {
    my $n = sysread($f, my $buf, $left < 65536 ? $left : 65536);
    defined $n or fail('read', $!);
    fail('read', 'the file shrank while it was copied') if $n == 0;
    my $off = 0;
    while ($off < $n) { my $w = syswrite(STDOUT, $buf, $n - $off, $off); defined $w or exit 3; $off += $w }
    $left -= $n;
  }
  exit 0;
}
if ($op eq 'push') {
  my ($mode, $uid, $gid, $mkdirs, $base) = @a;
  my $isdir = $path =~ m{/\z};
  if ($mkdirs) {
    my $d = $path =~ m{^/} ? '' : '.';
    my @parts = grep { length && $_ ne '.' } split m{/}, $path;
    pop @parts unless $isdir;
    for my $p (@parts) { $d .= "/$p"; next if -d $d; mkdir($d, 0755) or -d $d or fail('mkdir', $d, $!) }
  }
  $path = "$path/$base" if $isdir || -d $path;
  my ($dir) = $path =~ m{^(.*)/[^/]*$};
  $dir = '.' unless defined $dir;
  $dir = '/' if $dir eq '';
  -d $dir or fail('folder', "$dir: " . (-e $dir ? 'not a folder' : 'no such folder'));
  my $tmp = "$dir/.sandtray-push-$$-" . int(rand(1e9));
  sysopen(my $f, $tmp, 1 | 0x40 | 0x80 | 0x100, 0600) or fail('create', $!);
  my $ok = 0;
  END { unlink $tmp if defined $tmp && !$ok }
  my $hdr = <STDIN>;
  defined $hdr && $hdr =~ /^(\d+)\n\z/ or fail('input', 'no length');
  my $left = $1;
  while ($left > 0) {
    my $n = read(STDIN, my $buf, $left < 65536 ? $left : 65536);
    defined $n or fail('input', $!);
    fail('input', 'the copy was cut short') if $n == 0;
    my $off = 0;
    while ($off < $n) { my $w = syswrite($f, $buf, $n - $off, $off); defined $w or fail('write', $!); $off += $w }
    $left -= $n;
  }
  chown($uid, $gid, $f) or fail('owner', "$uid:$gid: $!");
  chmod(oct($mode), $f) or fail('mode', $!);
  close($f) or fail('write', $!);
  rename($tmp, $path) or fail('rename', -d $path ? 'a folder of that name is there' : $!);
  $ok = 1;
  print STDOUT "$path\n";
  exit 0;
}
fail('usage', $op);
`;

export interface PushOptions {
  /** Create the missing folders of the path inside (`-p`). */
  createDirs?: boolean;
  /** Permission bits; default the host file's. */
  mode?: number;
  /** Owner inside; default root inside (that is, you). */
  uid?: number;
  gid?: number;
}

export interface CopyResult {
  /** Where the file went. */
  path: string;
  bytes: number;
  mode: number;
}

/** Whether a sandbox path is one we pass on: no NUL, not empty, no trailing folder-only word we cannot name. */
function checkInside(p: string): void {
  if (!p || p.includes('\0')) throw new SandtrayError('INVALID_ARGUMENT', `"${p}" is not a path inside the sandbox`, 'Give an absolute path, e.g. /tmp/notes.txt.');
  if (!p.startsWith('/')) throw new SandtrayError('INVALID_ARGUMENT', `${p}: expected an absolute path inside the sandbox`, 'e.g. /root/notes.txt');
}

/** The message of a failed copy from the sandbox's side: our one line when there is one, else the attach step's. */
function insideError(name: string, what: string, stderr: string, code: number | null): SandtrayError {
  const lines = stderr.split('\n').filter(Boolean);
  const ours = lines.find((l) => l.startsWith('sandtray-file: '));
  if (ours) {
    const [step, ...rest] = ours.slice('sandtray-file: '.length).split(': ');
    const reason = rest.join(': ');
    const hint =
      step === 'type' ? 'Only regular files are copied (no folders, FIFOs, devices or sockets).'
      : step === 'folder' ? 'Create the folder first, or pass --create-dirs (-p).'
      : step === 'owner' ? 'The uid and gid must be mapped in the sandbox (`sandtray info NAME` shows its id map).'
      : /Read-only file system/.test(reason) ? 'That folder is read-only in the sandbox; copy into /tmp, the home or a writable mount.'
      : /No such file/.test(reason) ? `Check the path with \`sandtray exec ${name} -- ls -l FOLDER\`.`
      : undefined;
    return new SandtrayError('INVALID_ARGUMENT', `${what}: ${step === 'type' ? `it is ${reason}` : reason}`, hint);
  }
  const last = lines.at(-1)?.replace(/^sandtray: /, '') ?? `the copy inside ended with code ${code}`;
  return new SandtrayError('WRONG_STATE', `${what}: ${last}`, `Check \`sandtray info ${name}\`.`);
}

interface Inside {
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  done: Promise<{ code: number | null; stderr: string }>;
}

/** Runs FILE_SCRIPT inside the sandbox with args, confined as `exec` is; its stdio are pipes. */
function runInside(name: string, args: string[], paths?: Paths): Inside {
  const spec = attachSpec(name, [requireTool('perl'), '-e', FILE_SCRIPT, '--', ...args], { PERL5OPT: '', PERL5LIB: '', PERLLIB: '' }, paths, { workdir: '/' });
  const [file, ...rest] = spec.argv as [string, ...string[]];
  // All three are pipes, so none of the streams is null.
  const child = spawnChild(file, rest, { stdio: ['pipe', 'pipe', 'pipe'], env: spec.env, detached: true }) as ChildProcessWithoutNullStreams;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 65536) stderr += d;
  });
  // The other side may end before taking all we write: its message says why.
  child.stdin.on('error', () => undefined);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.once('error', (err) => resolve({ code: 127, stderr: `sandtray: ${err.message}` }));
    child.once('close', (code, signal) => {
      fs.rmSync(spec.envFile, { force: true });
      resolve({ code: code ?? (signal ? 128 : 1), stderr });
    });
  });
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  void done.then(() => process.off('exit', onExit));
  return { stdin: child.stdin, stdout: child.stdout, done };
}

/** This process's umask, read without changing it (022 when /proc cannot tell). */
function userUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return parseInt(m[1]!, 8);
  } catch {
    // no /proc
  }
  return 0o022;
}

/** A temporary name beside base, for a copy renamed over it once complete. */
function tempName(base: string): string {
  return `.${base}.sandtray-${crypto.randomBytes(6).toString('hex')}`;
}

/** Host folders the running sandbox can write (its read-write binds): it may plant links there. */
function writableByTheSandbox(name: string, paths?: Paths): string[] {
  const rt = readRuntime(sandboxDirs(name, paths));
  const out: string[] = [];
  for (const m of rt?.mounts ?? []) {
    if (!m.source || !['bind', 'bind-try', 'dev-bind', 'dev-bind-try'].includes(m.op)) continue;
    try {
      out.push(fs.realpathSync(m.source));
    } catch {
      // gone since the start: nothing to plant a link in
    }
  }
  return out;
}

const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

/**
 * The real folder path p leads to, following its links one by one: a link in a folder the
 * sandbox can write is refused (the sandbox may have planted it: `shared/out -> /home/USER`),
 * every other link is followed as the user gave it.
 */
function realFolder(p: string, writable: readonly string[]): string {
  let done = '/';
  const todo = path.resolve(p).split('/').filter(Boolean);
  for (let hops = 0; todo.length; ) {
    const part = todo.shift()!;
    const next = path.join(done, part);
    const st = fs.lstatSync(next, { throwIfNoEntry: false });
    if (!st) throw new SandtrayError('NOT_FOUND', `${next}: no such folder on the host`, 'Create it first.');
    if (st.isSymbolicLink()) {
      if (writable.some((w) => within(done, w))) {
        throw new SandtrayError('INVALID_ARGUMENT', `${next} is a symbolic link in a folder the sandbox can write; Sandtray does not follow it`, 'The sandbox may have put it there. Give a host path without links the sandbox could have made.');
      }
      if (++hops > 40) throw new SandtrayError('INVALID_ARGUMENT', `${p}: too many levels of symbolic links`, 'Give another host path.');
      const target = fs.readlinkSync(next);
      todo.unshift(...target.split('/').filter(Boolean));
      if (target.startsWith('/')) done = '/';
      continue;
    }
    if (!st.isDirectory()) throw new SandtrayError('NOT_FOUND', `${next} is not a folder`, 'Give a host folder that exists.');
    done = next;
  }
  return done;
}

interface HostDest {
  /** The destination as shown to the user. */
  dest: string;
  /** The folder it goes in, opened once: every later step names the file through it. */
  dirFd: number;
  base: string;
}

/** A name in the opened folder: the kernel resolves it there, whatever becomes of the folder's path. */
const inDir = (d: HostDest, name: string): string => `/proc/self/fd/${d.dirFd}/${name}`;

/**
 * Where a pulled file goes on the host: hostPath, or hostPath/BASENAME when it is a folder. A
 * symbolic link there is refused (someone else may have planted it in a shared folder such as
 * /tmp); so is anything but a regular file to replace, and any link on the way that lies in a
 * folder the sandbox can write. The folder is opened once and checked to be the one the path led
 * to, so swapping a folder on the path for a link afterwards changes nothing.
 */
function hostDestination(hostPath: string, sandboxPath: string, writable: readonly string[]): HostDest {
  const abs = path.resolve(hostPath);
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  let dir: string;
  let base: string;
  const isFolder = st?.isDirectory() || (st?.isSymbolicLink() && !writable.some((w) => within(realFolder(path.dirname(abs), writable), w)) && fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory());
  if (isFolder) {
    base = path.posix.basename(sandboxPath);
    if (!base || base === '.' || base === '..') throw new SandtrayError('INVALID_ARGUMENT', `${sandboxPath}: no file name to give the copy in ${hostPath}`, 'Name the host file: sandtray file pull NAME PATH HOSTFILE');
    dir = realFolder(abs, writable);
  } else {
    base = path.basename(abs);
    dir = realFolder(path.dirname(abs), writable);
  }
  const dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const d: HostDest = { dest: path.join(dir, base), dirFd, base };
  try {
    if (fs.readlinkSync(`/proc/self/fd/${dirFd}`) !== dir) throw new SandtrayError('INVALID_ARGUMENT', `${dir} changed while it was checked`, 'Something replaced a folder on the way; try again, and check what writes there.');
    const at = fs.lstatSync(inDir(d, base), { throwIfNoEntry: false });
    if (at?.isSymbolicLink()) throw new SandtrayError('INVALID_ARGUMENT', `${d.dest} is a symbolic link; Sandtray does not write through it`, `Give the path it points to (${fs.readlinkSync(inDir(d, base))}), or remove the link.`);
    if (at && !at.isFile()) throw new SandtrayError('INVALID_ARGUMENT', `${d.dest} is there and is not a regular file`, 'Give another host path.');
  } catch (err) {
    fs.closeSync(dirFd);
    throw err;
  }
  return d;
}

/** Copies the regular file sandboxPath out of the running sandbox to hostPath. */
export async function pullFile(name: string, sandboxPath: string, hostPath: string, paths?: Paths): Promise<CopyResult> {
  checkInside(sandboxPath);
  const d = hostDestination(hostPath, sandboxPath, writableByTheSandbox(name, paths));
  const dest = d.dest;
  const what = `${name}:${sandboxPath}`;
  let free = Infinity;
  try {
    const sf = fs.statfsSync(inDir(d, '.'));
    free = sf.bavail * sf.bsize;
  } catch {
    // cannot tell: the write fails when the disk is full
  }
  const tmpName = tempName(d.base);
  let fd: number;
  try {
    fd = fs.openSync(inDir(d, tmpName), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    fs.closeSync(d.dirFd);
    throw new SandtrayError('INVALID_ARGUMENT', `${dest}: ${(err as Error).message}`, 'Check the host folder is writable.');
  }
  const inside = runInside(name, ['pull', sandboxPath], paths);
  let header = Buffer.alloc(0);
  let mode = -1;
  let size = -1;
  let got = 0;
  let fault: SandtrayError | null = null;
  try {
    for await (const chunk of inside.stdout as AsyncIterable<Buffer>) {
      let data = chunk;
      if (size < 0) {
        header = Buffer.concat([header, data]);
        const nl = header.indexOf(10);
        if (nl < 0) {
          if (header.length > 64) throw new SandtrayError('INTERNAL', `${what}: the sandbox's side sent no header`);
          continue;
        }
        const m = /^([0-7]{1,6}) (\d{1,20})$/.exec(header.subarray(0, nl).toString('latin1'));
        if (!m) throw new SandtrayError('INTERNAL', `${what}: the sandbox's side sent a malformed header`);
        mode = parseInt(m[1]!, 8);
        size = Number(m[2]);
        // Refused before a byte is written: a sandbox cannot fill the host's disk through a pull.
        if (size > free) throw new SandtrayError('INVALID_ARGUMENT', `${what} holds ${size} bytes; ${path.dirname(dest)} has room for ${free}`, 'Free some room, or pull into another folder.');
        data = header.subarray(nl + 1);
      }
      if (got + data.length > size) throw new SandtrayError('INTERNAL', `${what}: the sandbox's side sent more than the file's size`);
      for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off);
      got += data.length;
    }
    const { code, stderr } = await inside.done;
    if (code !== 0) throw insideError(name, what, stderr, code);
    if (size < 0 || got !== size) throw new SandtrayError('INTERNAL', `${what}: the copy was cut short (${got} of ${Math.max(size, 0)} bytes)`, 'Try again.');
    // Permission bits only, and only those the user's umask lets a new file have: a set-user-id
    // bit from inside never becomes one on the host, nor a mode that lets other users write the copy.
    mode = mode & 0o777 & ~userUmask();
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } catch (err) {
    fault = err instanceof SandtrayError ? err : new SandtrayError('INVALID_ARGUMENT', `${dest}: ${(err as Error).message}`, 'Check the host folder has room and is writable.');
  } finally {
    fs.closeSync(fd);
  }
  try {
    if (fault) {
      fs.rmSync(inDir(d, tmpName), { force: true });
      await inside.done;
      throw fault;
    }
    // Both names through the opened folder: a rename replaces a link at the destination, never follows it.
    fs.renameSync(inDir(d, tmpName), inDir(d, d.base));
  } finally {
    fs.closeSync(d.dirFd);
  }
  return { path: dest, bytes: got, mode: mode & 0o777 };
}

/** Copies the regular host file hostPath into the running sandbox at sandboxPath. */
export async function pushFile(name: string, hostPath: string, sandboxPath: string, opts: PushOptions = {}, paths?: Paths): Promise<CopyResult> {
  checkInside(sandboxPath);
  let fd: number;
  // A link the sandbox planted in a folder it can write (shared/notes.txt -> ~/.ssh/id_rsa) would
  // hand it a file of the owner's: the folder is resolved as for a pull, and in such a folder the
  // file itself is opened without following a link.
  const writable = writableByTheSandbox(name, paths);
  const abs = path.resolve(hostPath);
  const dir = realFolder(path.dirname(abs), writable);
  const dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    if (fs.readlinkSync(`/proc/self/fd/${dirFd}`) !== dir) throw new SandtrayError('INVALID_ARGUMENT', `${dir} changed while it was checked`, 'Something replaced a folder on the way; try again, and check what writes there.');
    const noFollow = writable.some((w) => within(dir, w)) ? fs.constants.O_NOFOLLOW : 0;
    // Not blocking: a FIFO given by mistake is refused below instead of waiting for a writer.
    fd = fs.openSync(`/proc/self/fd/${dirFd}/${path.basename(abs)}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY | noFollow);
  } catch (err) {
    if (err instanceof SandtrayError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new SandtrayError('INVALID_ARGUMENT', `${hostPath} is a symbolic link in a folder the sandbox can write; Sandtray does not follow it`, 'The sandbox may have put it there. Give the file it points to, if that is what you mean.');
    throw new SandtrayError('NOT_FOUND', `${hostPath}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`, 'Give a regular file you can read.');
  } finally {
    fs.closeSync(dirFd);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new SandtrayError('INVALID_ARGUMENT', `${hostPath} is ${st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : 'not a regular file'}`, 'Only regular files are copied.');
    const mode = opts.mode ?? st.mode & 0o777;
    const base = path.basename(hostPath);
    const inside = runInside(name, ['push', sandboxPath, mode.toString(8), String(opts.uid ?? 0), String(opts.gid ?? opts.uid ?? 0), opts.createDirs ? '1' : '', base], paths);
    let out = '';
    inside.stdout.setEncoding('utf8');
    inside.stdout.on('data', (d: string) => {
      if (out.length < 8192) out += d;
    });
    const size = st.size;
    const write = (b: Buffer): Promise<void> => new Promise((resolve) => (inside.stdin.write(b) ? resolve() : inside.stdin.once('drain', resolve)));
    let ended = false;
    void inside.done.then(() => {
      ended = true;
      inside.stdin.emit('drain');
    });
    await write(Buffer.from(`${size}\n`));
    const buf = Buffer.alloc(65536);
    let sent = 0;
    while (sent < size && !ended) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - sent), sent);
      if (n === 0) break;
      await write(Buffer.from(buf.subarray(0, n)));
      sent += n;
    }
    inside.stdin.end();
    const { code, stderr } = await inside.done;
    if (code !== 0) throw insideError(name, `${name}:${sandboxPath}`, stderr, code);
    if (sent !== size) throw new SandtrayError('INVALID_ARGUMENT', `${hostPath} shrank while it was copied`, 'Try again once nothing writes to it.');
    return { path: out.trim() || sandboxPath, bytes: sent, mode };
  } finally {
    fs.closeSync(fd);
  }
}
