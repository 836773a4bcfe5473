// The risks of an expanded profile: what it hands a sandbox that weakens the boundary, one entry per
// risk, in words a user understands. `profile validate`, `info`, `plan`, `create`/`launch` and the
// desktop all show this one list.
//
// Mount sources are judged by where they really lead: bwrap follows symbolic links when it binds,
// so a link named ~/innocent that points at ~ hands over the whole home folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CAP_RISKS, DEFAULT_CAPS } from '../confine/caps.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import type { Profile } from './schema.js';
import { DBUS_DEFAULT_TALK } from './dbus-talk.js';

export type RiskLevel = 'high' | 'medium' | 'info';

export interface Risk {
  level: RiskLevel;
  /** The profile key it comes from, e.g. `mounts[0]`, `home`, `network.mode`, `capabilities[1]`. */
  key: string;
  /** One sentence, without the `warning:` prefix. */
  message: string;
  /** For a mount or home: the host path it really resolves to, when that differs from what was written. */
  resolved?: string;
}

/** What `network.mode: host` means, said wherever host mode is shown. */
export const HOST_NETWORK_RISK =
  "shares your network: programs inside can reach every service on this machine's loopback and your local network, " +
  'and can connect to your X server through its abstract socket and to abstract D-Bus sockets: ' +
  'programs inside can read and type into every window of your desktop';

/** The facts about the user the judgement depends on. */
export interface RiskHost {
  /** $HOME, and the home folder in the password database when it differs. */
  homes: string[];
  uid: number;
  /** $XDG_RUNTIME_DIR when set. */
  runtimeDir: string | null;
  /** $SSH_AUTH_SOCK when set. */
  sshAgent: string | null;
  paths: Paths;
}

/** The current user's facts; `home` replaces $HOME (the password database's home still counts). */
export function riskHost(over: { home?: string; env?: NodeJS.ProcessEnv; paths?: Paths } = {}): RiskHost {
  const env = over.env ?? process.env;
  const homes = new Set<string>();
  const envHome = over.home ?? (env['HOME'] && path.isAbsolute(env['HOME']) ? env['HOME'] : os.homedir());
  homes.add(path.normalize(envHome));
  try {
    homes.add(path.normalize(os.userInfo().homedir));
  } catch {
    // no password entry: $HOME alone
  }
  const abs = (v: string | undefined): string | null => (v && path.isAbsolute(v) ? path.normalize(v) : null);
  return {
    homes: [...homes].filter((h) => h !== '/'),
    uid: process.getuid?.() ?? 0,
    runtimeDir: abs(env['XDG_RUNTIME_DIR']),
    sshAgent: abs(env['SSH_AUTH_SOCK']),
    paths: over.paths ?? sandtrayPaths(env),
  };
}

/**
 * Where a host path really leads, every symbolic link followed. A path that does not exist (an
 * optional mount) resolves as far as it exists, dangling links included.
 */
export function resolveHostPath(p: string, depth = 0): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync.native(abs);
  } catch {
    // missing, a dangling link, or a loop: resolve the parent and follow this component by hand
  }
  if (abs === '/' || depth > 40) return abs;
  const parent = resolveHostPath(path.dirname(abs), depth + 1);
  const here = path.join(parent, path.basename(abs));
  try {
    if (fs.lstatSync(here).isSymbolicLink()) return resolveHostPath(path.resolve(parent, fs.readlinkSync(here)), depth + 1);
  } catch {
    // does not exist
  }
  return here;
}

/** The resolved path when it differs from the path as written, else undefined. */
export function resolvedIfDifferent(p: string): string | undefined {
  const r = resolveHostPath(p);
  return r === path.resolve(p) ? undefined : r;
}

/**
 * The first symbolic link on the way to p that someone other than root could change: one the
 * user made, or one in a folder a non-root user can write. System links such as /bin -> usr/bin
 * or /var/run -> /run are not reported (their target is still what the mount is judged by).
 */
export function changeableLink(p: string): string | null {
  const parts = path.resolve(p).split('/').filter(Boolean);
  let real = '/';
  let written = '/';
  for (const part of parts) {
    const next = path.join(real, part);
    written = path.join(written, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(next);
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) {
      let dir: fs.Stats | null = null;
      try {
        dir = fs.statSync(real);
      } catch {
        // unreadable parent: treat as changeable
      }
      if (st.uid !== 0 || !dir || dir.uid !== 0 || (dir.mode & 0o022) !== 0) return written;
      real = resolveHostPath(next);
    } else {
      real = next;
    }
  }
  return null;
}

const ORDER: Record<RiskLevel, number> = { high: 0, medium: 1, info: 2 };

interface Place {
  path: string;
  /** What programs inside get, as a noun phrase with its consequence. */
  what: string;
  level: RiskLevel;
  /** A path inside it counts as it (default true). */
  within?: boolean;
  /** Only a risk when mounted writable (files that run outside the sandbox). */
  writableOnly?: boolean;
}

const RUN_USER_WHAT =
  "your session's private sockets (ssh-agent, gpg-agent, D-Bus, systemd, Wayland, sound, Sandtray's own state), " +
  'with which they can use your keys, start programs outside the sandbox and control your other sandboxes';

/** Host places a mount must not hand over lightly, with what each means. */
function places(host: RiskHost): Place[] {
  const out: Place[] = [];
  for (const home of host.homes) {
    const h = (rel: string): string => path.join(home, rel);
    out.push(
      { path: home, within: false, level: 'high', what: 'your whole home folder, with every file you own (keys, passwords and browser data included)' },
      { path: h('.ssh'), level: 'high', what: 'your SSH keys and the list of hosts you trust' },
      { path: h('.gnupg'), level: 'high', what: 'your GnuPG private keys' },
      { path: h('.aws'), level: 'high', what: 'your AWS credentials' },
      { path: h('.config'), level: 'high', what: 'the settings of your desktop programs, many of them with passwords and access tokens' },
      { path: h('.kube'), level: 'high', what: 'your Kubernetes cluster credentials' },
      { path: h('.docker'), level: 'high', what: 'your container registry logins' },
      { path: h('.netrc'), level: 'high', what: 'your saved passwords for remote servers' },
      { path: h('.password-store'), level: 'high', what: 'your password store' },
      { path: h('.local/share/keyrings'), level: 'high', what: 'your desktop keyring (saved passwords)' },
      { path: h('.mozilla'), level: 'high', what: 'your Firefox profile: saved passwords, cookies and history' },
    );
    for (const f of ['.bashrc', '.profile', '.bash_profile', '.bash_login', '.bash_logout', '.zshrc', '.zprofile', '.zshenv', '.xprofile', '.xsessionrc', '.local/bin', '.local/share/applications', '.config/autostart', '.config/systemd']) {
      out.push({ path: h(f), level: 'high', writableOnly: true, what: 'files that run outside the sandbox, so programs inside can change what runs when you log in or start a program' });
    }
  }
  const p = host.paths;
  for (const [dir, which] of [[p.config, 'profiles'], [p.data, 'sandboxes and their homes'], [p.state, 'logs'], [p.runtime, 'running state']] as const) {
    out.push({ path: dir, level: 'high', what: `Sandtray's own ${which}, with which they can change or control your other sandboxes` });
  }
  for (const rt of new Set([`/run/user/${host.uid}`, ...(host.runtimeDir ? [host.runtimeDir] : [])])) {
    out.push(
      { path: rt, level: 'high', what: RUN_USER_WHAT },
      { path: path.join(rt, 'bus'), level: 'high', what: 'your D-Bus session bus, with which they can start programs outside the sandbox and talk to every desktop service' },
      { path: path.join(rt, 'gnupg'), level: 'high', what: 'your gpg-agent, with which they can sign and decrypt with your GPG keys' },
      { path: path.join(rt, 'systemd'), level: 'high', what: 'your systemd user manager, with which they can start services outside the sandbox' },
      { path: path.join(rt, 'podman', 'podman.sock'), level: 'high', what: 'your podman socket, with which they can run containers as you with your files' },
      { path: path.join(rt, 'docker.sock'), level: 'high', what: 'your Docker socket, with which they can run containers as you with your files' },
    );
  }
  if (host.sshAgent) out.push({ path: host.sshAgent, level: 'high', what: 'your ssh-agent, with which they can log in wherever your SSH keys open' });
  out.push(
    { path: '/run/dbus', level: 'high', what: 'the system D-Bus, with which they can talk to system services (NetworkManager, systemd, disks) as you' },
    { path: '/tmp/.X11-unix', level: 'high', what: "your X server's sockets, with which they can read and type into every window of your desktop" },
    { path: '/tmp', within: false, level: 'medium', what: "the host's shared temporary folder, with the sockets and files of your programs" },
    { path: '/var/tmp', within: false, level: 'medium', what: "the host's shared temporary folder, with the files of your programs" },
    { path: '/dev/pts', level: 'high', what: 'your terminals, where they can read what you type and type into them' },
    { path: '/dev', level: 'high', what: "the host's devices, which they can use directly (terminals, disks, cameras, graphics)" },
    { path: '/proc', level: 'high', what: "the host's processes, with the command lines and environment of your programs (secrets included)" },
    { path: '/sys', level: 'medium', what: 'kernel and hardware details of this machine, and settings a writable mount could change' },
    { path: '/run/docker.sock', level: 'high', what: 'the Docker socket: controlling Docker is as good as being root on this machine' },
    { path: '/var/run/docker.sock', level: 'high', what: 'the Docker socket: controlling Docker is as good as being root on this machine' },
    { path: '/run/podman/podman.sock', level: 'high', what: "root's podman socket: controlling it is as good as being root on this machine" },
    { path: '/run/containerd/containerd.sock', level: 'high', what: 'the containerd socket: controlling it is as good as being root on this machine' },
  );
  return out;
}

function isWithin(child: string, parent: string): boolean {
  if (parent === '/') return child !== '/';
  return child.startsWith(parent + '/');
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** ~/x for paths in $HOME, for display. */
function shown(p: string, host: RiskHost): string {
  const home = host.homes[0];
  if (!home) return p;
  if (p === home) return '~';
  return isWithin(p, home) ? `~/${p.slice(home.length + 1)}` : p;
}

interface Judged {
  /** What the path hands over, or null when it is harmless. */
  main: Risk | null;
  /** Set when the risk comes from a known place (not just "writable"). */
  known: boolean;
  /** The path crosses a symbolic link someone could re-point. */
  link: Risk | null;
  /** The path is one of the user's home folders. */
  wholeHome: boolean;
}

const HOW_RANK = { is: 0, within: 1, contains: 2 } as const;

/** Judges one host path bound into the sandbox (a mount, or the home folder). */
function judgeHostPath(key: string, source: string, writable: boolean, intro: string, host: RiskHost, all: Place[]): Judged {
  const written = path.resolve(source);
  const real = resolveHostPath(written);
  const extra = real === written ? {} : { resolved: real };
  const linkAt = changeableLink(written);
  const link: Risk | null = linkAt
    ? {
        level: 'medium',
        key,
        message: linkAt === written
          ? `${shown(written, host)} is a symbolic link to ${shown(real, host)}: whoever can change the link decides what the sandbox gets (start refuses a link in a folder you can write); naming ${shown(real, host)} in the profile avoids that`
          : `${shown(linkAt, host)} is a symbolic link, so ${shown(written, host)} really leads to ${shown(real, host)}: whoever can change the link decides what the sandbox gets (start refuses a link in a folder you can write); naming ${shown(real, host)} in the profile avoids that`,
        ...extra,
      }
    : null;
  const mine = [...new Set([written, real])];
  if (mine.includes('/')) {
    return { main: { level: 'high', key, message: `${intro}: programs inside get the whole host file system, your home folder included`, ...extra }, known: true, link, wholeHome: false };
  }

  type Hit = { place: Place; how: keyof typeof HOW_RANK; at: string };
  const hits: Hit[] = [];
  for (const place of all) {
    if (place.writableOnly && !writable) continue;
    const theirs = [...new Set([path.normalize(place.path), resolveHostPath(place.path)])];
    let best: Hit | null = null;
    for (const m of mine) {
      for (const t of theirs) {
        let hit: Hit | null = null;
        if (m === t) hit = { place, how: 'is', at: t };
        else if (place.within !== false && isWithin(m, t)) hit = { place, how: 'within', at: place.path };
        else if (isWithin(t, m) && exists(t)) hit = { place, how: 'contains', at: t };
        if (hit && (!best || HOW_RANK[hit.how] < HOW_RANK[best.how])) best = hit;
      }
    }
    if (best) hits.push(best);
  }
  // The most specific place the path is in, and the places it holds that no other held place holds.
  const primary = hits.filter((h) => h.how !== 'contains').sort((a, b) => b.place.path.length - a.place.path.length)[0];
  let held = hits.filter((h) => h.how === 'contains');
  held = held.filter((h) => !held.some((o) => o !== h && isWithin(h.at, o.at)));
  // A home folder already says it holds keys and passwords: no need to list them one by one.
  if (primary?.how === 'is' && primary.place.within === false) held = held.filter((h) => !isWithin(h.at, primary.at) && !isWithin(h.at, primary.place.path));
  const seen = new Set<string>();
  held = held.filter((h) => !seen.has(h.at) && Boolean(seen.add(h.at)));
  const wholeHome = hits.some((h) => h.how === 'is' && h.place.within === false && host.homes.includes(path.normalize(h.place.path)));

  const parts: string[] = [];
  if (primary) {
    parts.push(primary.how === 'is' ? `programs inside get ${primary.place.what}` : `programs inside get part of ${shown(primary.place.path, host)}: ${primary.place.what}`);
  }
  const heldText = held.map((h) => `${shown(h.at, host)}, ${h.place.what}`).join('; and ');
  if (held.length) parts.push(primary ? `and with it ${heldText}` : `programs inside get ${heldText}`);
  if (parts.length) {
    const level = [primary?.place.level, ...held.map((h) => h.place.level)].filter((l): l is RiskLevel => !!l).sort((a, b) => ORDER[a] - ORDER[b])[0]!;
    return { main: { level, key, message: `${intro}: ${parts.join('; ')}`, ...extra }, known: true, link, wholeHome };
  }

  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(real);
  } catch {
    // missing (an optional mount)
  }
  let main: Risk | null = null;
  if (st && (st.isCharacterDevice() || st.isBlockDevice())) {
    main = { level: 'high', key, message: `${intro}: it is a host device, which programs inside can use directly`, ...extra };
  } else if (st?.isSocket()) {
    main = { level: 'medium', key, message: `${intro}: it is a socket, so programs inside can talk to the service behind it as you`, ...extra };
  } else if (writable) {
    const inHome = host.homes.some((h) => isWithin(real, h) || isWithin(written, h));
    main = inHome
      ? { level: 'info', key, message: `${intro}: programs inside can change and delete your files there`, ...extra }
      : { level: 'medium', key, message: `${intro}: programs inside can change and delete files there, outside your home folder`, ...extra };
  }
  return { main, known: Boolean(main && main.level === 'high'), link, wholeHome };
}

/** "X" or "X (really Y)". */
function shownSource(source: string, host: RiskHost): string {
  const written = path.resolve(source);
  const real = resolveHostPath(written);
  return real === written ? shown(written, host) : `${shown(written, host)} (really ${shown(real, host)})`;
}

/** The risks of an expanded profile, most serious first. */
export function profileRisks(p: Profile, host: RiskHost = riskHost()): Risk[] {
  const all = places(host);
  const out: Risk[] = [];
  p.mounts.forEach((m, i) => {
    const intro = `${shownSource(m.source, host)} is mounted at ${m.target}, ${m.readOnly ? 'read-only' : 'writable'}`;
    const j = judgeHostPath(`mounts[${i}]`, m.source, !m.readOnly, intro, host, all);
    if (j.main) out.push(j.main);
    if (j.link) out.push(j.link);
  });

  if (p.home !== 'private' && p.home !== 'tmpfs') {
    const src = shownSource(p.home, host);
    const j = judgeHostPath('home', p.home, true, `the sandbox's home is the host folder ${src}, writable`, host, all);
    const resolved = resolvedIfDifferent(p.home);
    const extra = resolved ? { resolved } : {};
    if (j.wholeHome) {
      out.push({
        level: 'high',
        key: 'home',
        message: `the sandbox's home is your real home folder ${src}, writable: programs inside can read every file you own and change your shell startup files, which run outside the sandbox when you next log in`,
        ...extra,
      });
    } else if (j.main && j.known) {
      out.push(j.main);
    } else {
      // Whatever programs inside leave in a host folder used as home (a .bashrc) runs again at every start.
      out.push({
        level: 'medium',
        key: 'home',
        message: `the sandbox's home is the host folder ${src}, writable: programs inside can change every file in it, and files they leave there (such as a .bashrc) run again at each start`,
        ...extra,
      });
    }
    if (j.link) out.push(j.link);
  }

  if (p.network.mode === 'host') out.push({ level: 'high', key: 'network.mode', message: `host mode ${HOST_NETWORK_RISK}` });
  if (p.network.mode === 'nat' && p.network.allowHostLoopback) {
    out.push({ level: 'medium', key: 'network.allowHostLoopback', message: "programs inside can reach services listening on this machine's loopback (127.0.0.1 and ::1), such as databases and development servers that trust local connections" });
  }
  p.network.ports.forEach((f) => {
    if (isLoopbackAddress(f.address)) return;
    const every = f.address === '0.0.0.0' || f.address === '::';
    out.push({
      level: 'medium',
      key: `network.ports[${f.host}/${f.proto}]`,
      message: `port ${f.host}/${f.proto} listens on ${every ? 'every address of this machine' : `${f.address}, beyond the loopback`}: other machines on your network can reach the sandbox's port ${f.sandbox}`,
    });
  });
  if (p.nesting) {
    out.push({ level: 'medium', key: 'nesting', message: 'programs inside may create user namespaces and sandboxes of their own, which puts more of the kernel within their reach' });
  }
  p.capabilities.forEach((c, i) => {
    if (DEFAULT_CAPS.includes(c)) return;
    const what = CAP_RISKS[c];
    out.push({
      level: c === 'SYS_ADMIN' ? 'high' : 'medium',
      key: `capabilities[${i}]`,
      message: what
        ? `root inside holds CAP_${c}: it can ${what}`
        : `root inside holds CAP_${c}, beyond the default set: more privileged kernel interfaces are within its reach`,
    });
  });
  // Graphical grants (plan/graphics.ts): each one is a socket or device of your session.
  if (p.display.x11) {
    out.push({
      level: 'high',
      key: 'display.x11',
      message: 'X11 programs can read and type into every window: the sandbox gets your X server\'s socket and its cookie, with which programs inside can read the screen and the keyboard and send keystrokes to your other programs' +
        (p.network.mode === 'host' ? '; with network.mode: host they also reach its abstract socket' : ''),
    });
  }
  if (p.display.wayland) {
    out.push({ level: 'medium', key: 'display.wayland', message: "programs inside can open windows on your desktop through the compositor's own socket, with every protocol it offers your other programs (no per-sandbox security context yet), which on some desktops includes the clipboard and screen capture" });
  }
  if (p.audio) {
    out.push({ level: 'medium', key: 'audio', message: 'programs inside can play sound and record from your microphone through your sound server (with PipeWire, also what your other programs play)' });
  }
  if (p.gpu) {
    out.push({ level: 'medium', key: 'gpu', message: "programs inside can use your graphics card directly (/dev/dri), which puts the graphics driver's kernel code within their reach" });
  }
  if (p.dbus.mode === 'filtered') {
    out.push({ level: 'medium', key: 'dbus.mode', message: `programs inside can call ${[...DBUS_DEFAULT_TALK, ...p.dbus.talk].join(', ')} on your session bus (through a filtering proxy); each of those services then acts for them` });
  }
  // Most serious first; the risks of one key (a mount and its symbolic link) stay together.
  const keyLevel = new Map<string, number>();
  for (const r of out) keyLevel.set(r.key, Math.min(keyLevel.get(r.key) ?? 9, ORDER[r.level]));
  return out.map((r, i) => ({ r, i })).sort((a, b) => keyLevel.get(a.r.key)! - keyLevel.get(b.r.key)! || a.i - b.i).map(({ r }) => r);
}

/** One printed line, `warning: KEY: MESSAGE`; a terminal needs its control characters made visible (cli/output.ts). */
export function formatRisk(r: Risk): string {
  return `warning: ${r.key}: ${r.message}`;
}

/** Whether a host address is the loopback (127.0.0.0/8 or ::1), where only this machine connects. */
export function isLoopbackAddress(a: string): boolean {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) return a.startsWith('127.');
  try {
    return new URL(`http://[${a}]/`).hostname === '[::1]';
  } catch {
    return false;
  }
}
