// Profile -> plan: every mount, id map and argv decided before anything runs, so it can be shown and tested.
import path from 'node:path';
import type { IdMap, IdRange } from '../core/ids.js';
import { HOST_ETC_FILES, ROOT_LINKS, type HostFacts } from './host-facts.js';
import { effectiveCapSet, type CapName } from '../confine/caps.js';
import { enterArgv } from '../confine/enter.js';
import { compileSeccomp, seccompArch, type FilterPolicy } from '../confine/seccomp.js';
import { SandtrayError } from '../core/errors.js';
import type { Profile } from '../profile/schema.js';
import { etcFiles, SANDBOX_PATH } from './etc-files.js';
import { NEST_BIN, nestingMounts, type CliRuntime } from './nesting.js';
import { graphicsPlan, readGraphicsHost, wantsSession, type BusProxyPlan, type GraphicsHost } from './graphics.js';

const NO_GRAPHICS: GraphicsHost = { wayland: null, x11: null, xauthority: null, pulse: null, pipewire: null, dri: false };

export type MountOp =
  | { op: 'ro-bind' | 'bind' | 'ro-bind-try' | 'bind-try'; source: string; target: string; why: string }
  // Device access: only /dev/dri, for `gpu: true` (see plan/graphics.ts).
  | { op: 'dev-bind' | 'dev-bind-try'; source: string; target: string; why: string }
  | { op: 'tmpfs' | 'proc' | 'dev' | 'dir'; target: string; why: string; perms?: string }
  | { op: 'symlink'; source: string; target: string; why: string }
  // A host file copied into the sandbox's own /etc at each start: no mount, so none of the cost
  // of a read-only bind (bwrap remounts each one and rereads the mount table for it).
  | { op: 'copy'; source: string; target: string; why: string }
  // A private Xauthority file made at launch from `source` with the cookie for `display` alone.
  | { op: 'x11-cookie'; source: string; display: number; target: string; why: string };

export interface Plan {
  name: string;
  hostname: string;
  idmap: IdMap;
  /** nesting: true: the ids (inside) handed on to nested sandboxes via /etc/subuid and /etc/subgid. */
  nesting: { delegated: IdRange | null } | null;
  mounts: MountOp[];
  namespaces: string[];
  network: { mode: Profile['network']['mode']; steps: string[] };
  /** Files written under the sandbox's etc directory before start. */
  etc: Record<string, string>;
  /** Environment of the sandbox's processes (the host environment is never passed through). */
  env: Record<string, string>;
  shell: string;
  /** Default argv for `shell` (login shell) and for `run`. */
  command: string[];
  workdir: string;
  /** argv of the user namespace holders (see idmap/userns.ts). */
  holders: string[];
  /** What the graphical grants (display, audio, gpu, dbus) bind, or why not: one line each. */
  desktop: string[];
  /** Pid 1 exits, and the sandbox stops, once what ran inside has exited (plan/init-script.ts). */
  stopWhenIdle: boolean;
  /** dbus: filtered: the xdg-dbus-proxy to run on the host before the sandbox (network/bus-proxy.ts). */
  busProxy: BusProxyPlan | null;
  /** What confines root inside: its capabilities and the seccomp filter's policy. */
  confine: { caps: CapName[]; seccomp: FilterPolicy & { arch: string; instructions: number } };
  /**
   * argv of bwrap, ending with the enter step and the init. It reaches bwrap through a descriptor
   * (`--args`), not its command line; the environment reaches pid 1 through another (`envfd`).
   */
  argv: string[];
}

/** Descriptors of the launch (runtime/launch.ts): bwrap's info and status, the two user namespaces, args, environment. */
export const LAUNCH_FDS = { info: 3, status: 4, outerUserns: 5, innerUserns: 6, args: 7, env: 8 } as const;

/** perl runs the enter step (confine/enter.ts); perl-base is part of every Debian and Ubuntu system. */
export const PERL = '/usr/bin/perl';

export interface PlanDirs {
  /** Directory holding the generated /etc files. */
  etcDir: string;
  /** Private home on the host, when home is "private". */
  homeDir: string;
  /** Where the sandbox's D-Bus proxy listens on the host (dbus: filtered). */
  busSocket?: string;
}

export { HOST_ENV, LAUNCH_ENV } from './host-env.js';

const BASE_NAMESPACES = ['user', 'mount', 'uts', 'ipc', 'pid', 'cgroup'];

/**
 * What the planner is given rather than reads: the id map and what the id map allocator derives
 * from it, and what the network driver says (lifecycle/plan-inputs.ts gathers them).
 */
export interface PlanInputs {
  ids: {
    map: IdMap;
    /** nesting: the range handed on to nested sandboxes (idmap/delegate.ts). */
    delegated: IdRange | null;
    /** The /etc/subuid and /etc/subgid naming it. */
    subIdFiles: { subuid: string; subgid: string };
    /** argv of the user namespace holders (idmap/userns.ts). */
    holders: string[];
  };
  network: {
    /** The sandbox gets a network namespace of its own. */
    ownNamespace: boolean;
    /** The sandbox's /etc/resolv.conf. */
    resolvConf: string;
    /** What the driver sets up, one line a step. */
    steps: string[];
  };
}

export interface PlanOptions {
  /** Where the CLI runs from, for nesting sandboxes (plan-inputs.ts cliRuntime()); none unless given. */
  runtime?: CliRuntime | null;
  /** The desktop session's sockets, for display/audio/gpu; read from this process's environment unless given. */
  graphics?: GraphicsHost;
  /**
   * A one-off sandbox (`run`): argv (null: the profile's command) is pid 1's payload, its only child, started in the plan's
   * working directory; pid 1 is the enter step itself and dies with bwrap's monitor (confine/enter.ts).
   */
  payload?: { argv: readonly string[] | null };
}

// The filter depends on the architecture and two flags only: a long-lived engine compiles each
// variant once instead of at every start. Copies go out, so no plan can change another's.
const filters = new Map<string, Buffer>();
function filterFor(arch: NonNullable<ReturnType<typeof seccompArch>>, policy: FilterPolicy): Buffer {
  const key = `${arch} ${policy.nesting} ${policy.sysAdmin}`;
  let f = filters.get(key);
  if (!f) filters.set(key, (f = compileSeccomp(arch, policy)));
  return Buffer.from(f);
}

/** Compiles an expanded profile into a launch plan; pure apart from the facts passed in. */
export function buildPlan(name: string, profile: Profile, inputs: PlanInputs, facts: HostFacts, dirs: PlanDirs, opts: PlanOptions = {}): Plan {
  const { ids, network: driver } = inputs;
  const idmap = ids.map;
  const nesting = profile.nesting ? { delegated: ids.delegated } : null;
  const path_ = nesting ? `${NEST_BIN}:${SANDBOX_PATH}` : SANDBOX_PATH;
  const shell = profile.shell ?? (facts.exists['/bin/bash'] || facts.exists['/usr/bin/bash'] ? '/bin/bash' : '/bin/sh');
  const mounts: MountOp[] = [
    { op: 'ro-bind', source: '/usr', target: '/usr', why: 'host programs, read-only' },
  ];
  for (const l of ROOT_LINKS) {
    if (!facts.exists[`/${l}`]) continue;
    if (facts.mergedUsr[l]) mounts.push({ op: 'symlink', source: `usr/${l}`, target: `/${l}`, why: 'merged /usr' });
    else mounts.push({ op: 'ro-bind', source: `/${l}`, target: `/${l}`, why: 'host programs, read-only' });
  }
  mounts.push(
    { op: 'proc', target: '/proc', why: "the sandbox's own processes only" },
    // Kernel keys are not namespaced: /proc/keys would list the owner's key descriptions (their
    // contents stay out of reach: the filter refuses keyctl). Nesting profiles keep /proc whole,
    // since the kernel lets a nested sandbox mount its own /proc only when no file of it is covered.
    ...(profile.nesting ? [] : [
      { op: 'ro-bind' as const, source: '/dev/null', target: '/proc/keys', why: "hides the owner's kernel key descriptions" },
      { op: 'ro-bind' as const, source: '/dev/null', target: '/proc/key-users', why: "hides how many kernel keys the owner holds" },
    ]),
    { op: 'dev', target: '/dev', why: 'minimal /dev with a private devpts' },
    { op: 'tmpfs', target: '/tmp', why: 'private /tmp' },
    { op: 'tmpfs', target: '/run', why: 'private /run' },
    { op: 'dir', target: '/var', why: 'empty /var' },
    { op: 'tmpfs', target: '/var/tmp', why: 'private /var/tmp' },
    { op: 'dir', target: '/etc', why: "the sandbox's own /etc" },
  );
  for (const f of HOST_ETC_FILES) {
    const host = `/etc/${f}`;
    if (!facts.exists[host]) continue;
    const kind = facts.etcKinds?.[f];
    // Regular files are copied, links into /usr made again (/usr is bound whole), folders bound.
    if (kind === 'file') mounts.push({ op: 'copy', source: host, target: host, why: 'host file a shell needs, copied at start' });
    else if (kind?.startsWith('link:')) mounts.push({ op: 'symlink', source: kind.slice(5), target: host, why: "host link into /usr, as the host's" });
    else mounts.push({ op: 'ro-bind', source: host, target: host, why: 'host file a shell needs, read-only' });
  }
  // A nesting sandbox's /etc/subuid and /etc/subgid name its root, so the nested sandtray and
  // other rootless tools (podman, newuidmap) find the delegated ids.
  const etc = { ...etcFiles(name, profile, shell, driver.resolvConf, path_), ...(nesting ? ids.subIdFiles : {}) };
  for (const f of Object.keys(etc).sort()) {
    mounts.push({ op: 'bind', source: path.join(dirs.etcDir, f), target: `/etc/${f}`, why: 'generated for this sandbox' });
  }
  if (profile.home === 'private') mounts.push({ op: 'bind', source: dirs.homeDir, target: '/root', why: 'private home, kept with the sandbox' });
  else if (profile.home === 'tmpfs') mounts.push({ op: 'tmpfs', target: '/root', why: 'throw-away home' });
  else mounts.push({ op: 'bind', source: profile.home, target: '/root', why: 'home bound from the host' });

  // Parents before children, so a mount at /a/b is not hidden by a later one at /a.
  const userMounts = [...profile.mounts].sort((a, b) => depth(a.target) - depth(b.target));
  for (const m of userMounts) {
    const op = m.optional ? (m.readOnly ? 'ro-bind-try' : 'bind-try') : m.readOnly ? 'ro-bind' : 'bind';
    mounts.push({ op, source: m.source, target: m.target, why: m.readOnly ? 'profile mount, read-only' : 'profile mount, writable' });
  }
  if (nesting) mounts.push(...nestingMounts(opts.runtime ?? null));
  const desktop = graphicsPlan(profile, wantsSession(profile) ? (opts.graphics ?? readGraphicsHost()) : NO_GRAPHICS, dirs.busSocket ?? null);
  mounts.push(...desktop.mounts);

  const namespaces = [...BASE_NAMESPACES];
  if (driver.ownNamespace) namespaces.push('net');

  const env: Record<string, string> = {
    PATH: path_,
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: shell,
    TERM: 'xterm-256color',
    LANG: process.env['LANG'] && /^[A-Za-z0-9_.@-]+$/.test(process.env['LANG']) ? process.env['LANG'] : 'C.UTF-8',
    container: 'sandtray',
    SANDTRAY_NAME: name,
    ...desktop.env,
    ...profile.env,
  };
  const workdir = profile.workdir ?? '/root';
  const command = profile.command ?? [shell, '-l'];

  const arch = seccompArch();
  if (!arch) throw new SandtrayError('HOST_UNSUPPORTED', `Sandtray's seccomp filter is not built for this architecture (${process.arch})`, 'Sandtray runs on x86_64 and aarch64.');
  const caps = effectiveCapSet(profile.capabilities);
  const policy: FilterPolicy = { nesting: profile.nesting, sysAdmin: caps.includes('SYS_ADMIN') };
  const seccomp = filterFor(arch, policy);
  const argv = [
    'bwrap',
    // Every namespace bwrap makes belongs to the outer user namespace (see idmap/userns.ts); pid 1
    // joins the sandbox's own, a child of it, only in the enter step.
    '--userns', String(LAUNCH_FDS.outerUserns),
    // The network namespace is made by the enter step instead, in the sandbox's user namespace.
    '--unshare-pid', '--unshare-uts', '--unshare-ipc', '--unshare-cgroup-try',
    '--hostname', profile.hostname,
    // A new session: nothing inside can push keystrokes into a terminal with TIOCSTI.
    '--new-session',
    '--as-pid-1',
    ...mountArgs(mounts),
    '--chdir', '/',
    // bwrap and the enter step run with a fixed environment: a profile's PERL5OPT, LD_PRELOAD or
    // BASH_ENV never acts before the sandbox is confined. The sandbox's own comes through envfd.
    // No LANG: the enter step's perl would load a locale for nothing, on the way to pid 1.
    '--clearenv', '--setenv', 'PATH', SANDBOX_PATH,
    '--',
    ...(opts.payload
      ? enterArgv(PERL, { mode: 'init', usernsFd: LAUNCH_FDS.innerUserns, newNet: namespaces.includes('net'), payload: true }, { arch, caps, seccomp, envFd: LAUNCH_FDS.env, chdir: workdir }, opts.payload.argv ?? command)
      // A started sandbox: the enter step stays pid 1 as its init (confine/enter.ts); its
      // environment is the attached processes' own, so pid 1 reads none.
      : enterArgv(PERL, { mode: 'init', usernsFd: LAUNCH_FDS.innerUserns, newNet: namespaces.includes('net'), init: profile.stopWhenIdle ? 'idle' : 'plain' }, { arch, caps, seccomp }, [])),
  ];
  const holders = ids.holders;
  const confine = { caps, seccomp: { ...policy, arch, instructions: seccomp.length / 8 } };
  return { name, hostname: profile.hostname, idmap, nesting, mounts, namespaces, network: { mode: profile.network.mode, steps: driver.steps }, etc, env, shell, command, workdir, holders, desktop: desktop.notes, busProxy: desktop.busProxy, stopWhenIdle: profile.stopWhenIdle, confine, argv };
}

/** bwrap options for the mount operations, in order. */
export function mountArgs(mounts: readonly MountOp[]): string[] {
  const out: string[] = [];
  for (const m of mounts) {
    switch (m.op) {
      case 'ro-bind':
      case 'bind':
      case 'ro-bind-try':
      case 'bind-try':
      case 'dev-bind':
      case 'dev-bind-try':
      case 'symlink':
        out.push(`--${m.op}`, m.source, m.target);
        break;
      case 'copy':
        // Not a bwrap option: the launch turns it into --file from a descriptor (runtime/mount-safety.ts).
        out.push('--copy-file', m.source, m.target);
        break;
      case 'x11-cookie':
        // Not a bwrap option: the launch turns it into --ro-bind-data (runtime/mount-safety.ts).
        out.push('--x11-cookie', String(m.display), m.source, m.target);
        break;
      default:
        if (m.perms) out.push('--perms', m.perms);
        out.push(`--${m.op}`, m.target);
    }
  }
  return out;
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}
