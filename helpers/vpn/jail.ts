// The VPN client's own sandbox. openvpn and wireguard-go run as root of the sandbox's user
// namespace (which maps to the user), in the uplink's network namespace. Without a jail they would
// see the host's whole file system with the user's rights, so an option the configuration parser
// missed could read or write the user's files. bwrap (the unprivileged build the engine already
// uses) runs them in a mount namespace of their own, made in the uplink:
//
// - a fresh root with /usr (and the /bin, /lib* links or folders), a few files of /etc a client
//   needs (libraries, certificates, time zone, name lookup), a minimal /dev with /dev/net/tun,
//   private /tmp, /run and /var, the files the configuration names (read-only), and one writable
//   folder of the runtime directory (the management socket and the generated configuration);
//   nothing of the home;
// - its own pid namespace, so it can neither name nor signal nor trace the user's processes (a
//   client with the user's uid could otherwise ptrace them), and no /proc; its own IPC (the
//   user's SysV shared memory) and UTS namespaces;
// - only CAP_NET_ADMIN (to create the tun device), no_new_privs, and the sandbox's seccomp filter
//   (no keyrings, which are not namespaced; no new user namespaces, mounts or setns);
// - no descriptor of the user's: inherited ones are closed first, and its output goes through a
//   pipe to the agent, which writes it to the lifecycle log, never a descriptor of the log itself.
import fs from 'node:fs';
import path from 'node:path';
import { hostEnv, spawnTool } from '../host/spawn.js';
import { compileSeccomp, seccompArch } from '../confine/seccomp.js';
import { ensureStateDir, writeStateFile } from '../core/trust.js';
import { SandtrayError } from '../core/errors.js';
import { closeFdsPrefix } from '../host/close-fds.js';
import { isAlive, procStart } from '../host/proc.js';
import { requireTool } from '../host/tools.js';
import type { HelperProc } from '../network/driver.js';
import { nsenterArgv } from '../network/nsenter.js';
import { spawnHelper, stopHelper, waitFor } from '../network/helper-proc.js';
import type { SandboxDirs } from '../runtime/store.js';

/** Files of /etc a client reads, bound read-only when the host has them. */
const ETC_FILES = ['ld.so.cache', 'ssl', 'localtime', 'hosts', 'gai.conf', 'host.conf', 'services', 'protocols', 'alternatives'];
/** Top-level folders that merged-/usr systems keep as links into /usr. */
const USR_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
/** Paths the jail provides itself: a configuration file there is not bound again. */
const SYSTEM_PREFIXES = ['/usr/', '/etc/ssl/', '/dev/', '/proc/', '/sys/'];

export interface JailPaths {
  /** Host-side files of the jail (seccomp filter, nsswitch.conf, the output pipe); never bound whole. */
  host: string;
  /** The one writable folder inside, bound at its own path: the management socket, the configuration. */
  shared: string;
  /** The pipe the client's stdout and stderr go to; the agent reads it into the lifecycle log. */
  output: string;
}

/** Where the jail's files live in the sandbox's runtime directory. */
export function jailPaths(dirs: Pick<SandboxDirs, 'runtime'>): JailPaths {
  const host = path.join(dirs.runtime, 'vpn-jail');
  return { host, shared: path.join(dirs.runtime, 'vpn-client'), output: path.join(host, 'client.out') };
}

export interface JailSpec {
  /** The client, for messages and the helper record: 'openvpn', 'wireguard-go'. */
  what: string;
  /** The uplink holder: the jail is made in its user, network and mount namespaces. */
  uplinkPid: number;
  /** The uplink's resolv.conf (pasta's DNS address), bound as /etc/resolv.conf. */
  resolvConf: string;
  /** Host files or folders bound read-only at the same path inside (what the configuration names). */
  readOnly: string[];
  /** Empty folders made inside (the working folder when nothing is bound there). */
  folders: string[];
  /** Working folder inside. */
  chdir: string;
  env?: Record<string, string>;
  argv: string[];
}

function usrLinks(): string[] {
  const out: string[] = [];
  for (const name of USR_LINKS) {
    const p = `/${name}`;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push('--symlink', fs.readlinkSync(p), p);
    else if (st.isDirectory()) out.push('--ro-bind', p, p);
  }
  return out;
}

/** True when the path is one the jail already has (its /usr, certificates, devices). */
export function providedByJail(p: string): boolean {
  return SYSTEM_PREFIXES.some((x) => p === x.slice(0, -1) || p.startsWith(x));
}

/** bwrap's options for the jail (without the command). seccompFd: the descriptor bwrap reads the filter from. */
export function jailOptions(spec: JailSpec, paths: JailPaths, nsswitch: string, seccompFd: number | null): string[] {
  const opts = [
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--as-pid-1', '--new-session',
    '--hostname', 'sandtray-vpn',
    '--cap-drop', 'ALL', '--cap-add', 'CAP_NET_ADMIN',
    '--ro-bind', '/usr', '/usr', ...usrLinks(),
    '--dir', '/etc',
  ];
  for (const f of ETC_FILES) opts.push('--ro-bind-try', `/etc/${f}`, `/etc/${f}`);
  opts.push(
    '--ro-bind', spec.resolvConf, '/etc/resolv.conf',
    '--ro-bind', nsswitch, '/etc/nsswitch.conf',
    '--dev', '/dev', '--dev-bind', '/dev/net/tun', '/dev/net/tun',
    // wireguard-go makes /var/run/wireguard for its control socket itself.
    '--tmpfs', '/tmp', '--tmpfs', '/run', '--tmpfs', '/var',
  );
  for (const p of spec.readOnly) if (!providedByJail(p)) opts.push('--ro-bind', p, p);
  for (const d of spec.folders) if (!providedByJail(d)) opts.push('--dir', d);
  opts.push('--bind', paths.shared, paths.shared, '--remount-ro', '/', '--chdir', spec.chdir);
  if (seccompFd !== null) opts.push('--seccomp', String(seccompFd));
  return opts;
}

/** Creates the jail's folders in the runtime directory, its seccomp filter and nsswitch.conf; returns the paths. */
export function prepareJail(dirs: Pick<SandboxDirs, 'runtime'>): JailPaths & { nsswitch: string; seccomp: string | null } {
  const named = jailPaths(dirs);
  // Links resolved: the writable folder is bound at this path, and the client is told its files there.
  const host = ensureStateDir(named.host);
  const paths: JailPaths = { host, shared: ensureStateDir(named.shared), output: path.join(host, path.basename(named.output)) };
  const nsswitch = path.join(paths.host, 'nsswitch.conf');
  // Names come from /etc/hosts and the uplink's DNS only (no resolved, mDNS or LDAP modules).
  writeStateFile(nsswitch, 'hosts: files dns\n', 0o644);
  const arch = seccompArch();
  let seccomp: string | null = null;
  if (arch) {
    seccomp = path.join(paths.host, 'seccomp.bpf');
    // The sandbox's own filter, as for a profile that neither nests nor holds CAP_SYS_ADMIN.
    // The folder was just checked: ours, 0700; the file is made anew (wx), never through a link.
    fs.rmSync(seccomp, { force: true });
    fs.writeFileSync(seccomp, compileSeccomp(arch, { nesting: false, sysAdmin: false }), { mode: 0o600, flag: 'wx' });
  }
  return { ...paths, nsswitch, seccomp };
}

/** The whole argv of a jailed client: close inherited descriptors, enter the uplink, bwrap. */
export function jailArgv(spec: JailSpec, paths: JailPaths & { nsswitch: string; seccomp: string | null }): string[] {
  const bwrap = [requireTool('bwrap'), ...jailOptions(spec, paths, paths.nsswitch, paths.seccomp ? 3 : null), '--', ...spec.argv];
  // The filter reaches bwrap as descriptor 3, opened by a shell after every inherited one is closed.
  const withFilter = paths.seccomp ? ['/bin/sh', '-c', 'exec 3<"$0" || exit 126; exec "$@"', paths.seccomp, ...bwrap] : bwrap;
  return [...closeFdsPrefix(2), ...nsenterArgv(spec.uplinkPid, ['net', 'mount']), ...withFilter];
}

/** The process bwrap started in the jail (its only child), once it runs the client itself. */
function jailedChild(outer: number, comm: string): number | null {
  let kids: string;
  try {
    kids = fs.readFileSync(`/proc/${outer}/task/${outer}/children`, 'utf8');
  } catch {
    return null;
  }
  for (const k of kids.trim().split(/\s+/).filter(Boolean)) {
    try {
      if (fs.readFileSync(`/proc/${k}/comm`, 'utf8').trim() === comm.slice(0, 15)) return Number(k);
    } catch {
      // gone
    }
  }
  return null;
}

/**
 * Makes the output pipe. The caller holds `keep` (read and write) until the agent has opened its
 * end, so neither the client's open nor the agent's blocks and nothing written meanwhile is lost.
 */
export async function makeOutputPipe(file: string): Promise<{ keep: number }> {
  fs.rmSync(file, { force: true });
  const r = await spawnTool(requireTool('mkfifo'), ['-m', '0600', '--', file], { env: hostEnv(), reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new SandtrayError('START_FAILED', `Could not make the VPN client's output pipe: ${String(r.stderr).trim()}`);
  const st = fs.lstatSync(file);
  if (!st.isFIFO()) throw new SandtrayError('START_FAILED', `${file} is not a pipe`);
  return { keep: fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW) };
}

export interface Jailed {
  /** The client itself, pid 1 of the jail's pid namespace: the helper the sandbox records. */
  client: HelperProc;
  /** bwrap outside the jail, which waits for it (exits with it). */
  outer: HelperProc;
}

/**
 * Starts the client in its jail; its stdout and stderr go to the output pipe. Resolves once the
 * client runs (bwrap has set the jail up and executed it).
 */
export async function startJailed(spec: JailSpec, paths: JailPaths & { nsswitch: string; seccomp: string | null }): Promise<Jailed> {
  const outer = spawnHelper(jailArgv(spec, paths), { what: `${spec.what} jail`, logFile: paths.output, ...(spec.env ? { env: spec.env } : {}) });
  let child: number | null = null;
  try {
    await waitFor(() => (child = jailedChild(outer.pid, path.basename(spec.argv[0]!))) !== null, 10_000, `The ${spec.what} jail did not start`, outer);
  } catch (err) {
    await stopHelper(outer);
    throw err;
  }
  const start = procStart(child!);
  if (start === null) {
    await stopHelper(outer);
    throw new SandtrayError('START_FAILED', `${spec.what} exited at once`, 'See `sandtray log NAME` for its messages.');
  }
  return { client: { pid: child!, start, what: spec.what }, outer };
}

/** Stops a jailed client and the bwrap around it. */
export async function stopJailed(j: Jailed): Promise<void> {
  await stopHelper(j.client);
  // bwrap exits with its child; only a bwrap whose child never ran is left to end here.
  if (isAlive(j.outer)) await stopHelper(j.outer);
}
