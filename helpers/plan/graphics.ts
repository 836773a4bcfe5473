// Graphical apps, sound and the GPU: what a profile's `display`, `audio`, `gpu` and `dbus` add to
// a plan. Each grant is one socket or one device folder, bound explicitly; nothing else of the
// session comes in, and the host environment is never passed through.
//
// - Wayland: the compositor's socket, bound into the sandbox's own runtime folder (/run/user/0).
//   The compositor's own socket, not a per-sandbox one through wp_security_context_v1 (not done
//   yet; `info` and the risk summary say so).
// - X11: the socket path /tmp/.X11-unix/XN only. The abstract socket (@/tmp/.X11-unix/XN) belongs
//   to the host's network namespace, which a none, nat or vpn sandbox does not share. The X
//   server's cookie for that one display goes into a private Xauthority file (xauthorityFor).
// - Audio: the PulseAudio socket (PULSE_SERVER) and PipeWire's, whichever the host has.
// - GPU: /dev/dri, with device access (the host's other mounts stay nodev).
// - D-Bus: none binds no bus at all (the session bus's path socket stays outside, and its
//   abstract socket, where it has one, belongs to the host's network namespace). filtered binds
//   the socket of an xdg-dbus-proxy the engine runs on the host for this sandbox alone
//   (network/bus-proxy.ts), with the profile's `talk` names, notifications and the desktop portal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Profile } from '../profile/schema.js';
import { DBUS_DEFAULT_TALK } from '../profile/dbus-talk.js';
import type { MountOp } from './build.js';

/** The sandbox's own runtime folder ($XDG_RUNTIME_DIR inside; root inside is uid 0). */
export const INSIDE_RUNTIME = '/run/user/0';
export const INSIDE_XAUTHORITY = `${INSIDE_RUNTIME}/Xauthority`;
export const INSIDE_PULSE = `${INSIDE_RUNTIME}/pulse/native`;
/** Where the compositor's socket appears inside. */
export const WAYLAND_INSIDE = `${INSIDE_RUNTIME}/wayland-0`;

/** What the host's session offers, read from its environment and files. */
export interface GraphicsHost {
  /** The compositor's socket, when $WAYLAND_DISPLAY names one that exists. */
  wayland: string | null;
  /** The local X display (`:N`) whose socket /tmp/.X11-unix/XN exists. */
  x11: { display: number; socket: string } | null;
  /** The Xauthority file holding the X server's cookie ($XAUTHORITY, else ~/.Xauthority). */
  xauthority: string | null;
  /** $XDG_RUNTIME_DIR/pulse/native (or $PULSE_SERVER's unix: path), when it exists. */
  pulse: string | null;
  /** $XDG_RUNTIME_DIR/pipewire-0 (or $PIPEWIRE_REMOTE), when it exists. */
  pipewire: string | null;
  /** /dev/dri exists. */
  dri: boolean;
  /** The session bus's address ($DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus when it is a socket). */
  dbus?: string | null;
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

const abs = (v: string | undefined): string | null => (v && path.isAbsolute(v) && !v.includes('\0') ? path.normalize(v) : null);

/** Reads what the session offers, from env (this process's by default). */
export function readGraphicsHost(env: NodeJS.ProcessEnv = process.env): GraphicsHost {
  const rt = abs(env['XDG_RUNTIME_DIR']);
  const inRuntime = (name: string | undefined): string | null => {
    if (!name || name.includes('\0')) return null;
    if (path.isAbsolute(name)) return path.normalize(name);
    // A relative name stays inside the runtime folder.
    return rt && !name.split('/').includes('..') ? path.join(rt, name) : null;
  };
  const wl = inRuntime(env['WAYLAND_DISPLAY']);
  // Only a local display: ":N", ":N.S" or "unix:N". A TCP display (ssh -X's localhost:10) is not bound.
  const m = /^(?:unix)?:(\d{1,5})(?:\.\d+)?$/.exec(env['DISPLAY'] ?? '');
  const xsock = m ? `/tmp/.X11-unix/X${Number(m[1])}` : null;
  const xauth = abs(env['XAUTHORITY']) ?? (abs(env['HOME']) ? path.join(abs(env['HOME'])!, '.Xauthority') : null);
  const pulseEnv = /^unix:(\/.+)$/.exec(env['PULSE_SERVER'] ?? '')?.[1];
  const pulse = pulseEnv ? path.normalize(pulseEnv) : rt ? path.join(rt, 'pulse', 'native') : null;
  const pw = inRuntime(env['PIPEWIRE_REMOTE'] ?? 'pipewire-0');
  return {
    wayland: wl && isSocket(wl) ? wl : null,
    x11: m && xsock && isSocket(xsock) ? { display: Number(m[1]), socket: xsock } : null,
    xauthority: xauth && fs.existsSync(xauth) ? xauth : null,
    pulse: pulse && isSocket(pulse) ? pulse : null,
    pipewire: pw && isSocket(pw) ? pw : null,
    dri: fs.existsSync('/dev/dri'),
    dbus: busAddress(env, rt),
  };
}

/**
 * The session bus address the proxy connects to: only unix: addresses (path= or abstract=), no
 * launchers and no TCP. Without $DBUS_SESSION_BUS_ADDRESS, systemd's $XDG_RUNTIME_DIR/bus.
 */
function busAddress(env: NodeJS.ProcessEnv, rt: string | null): string | null {
  const a = env['DBUS_SESSION_BUS_ADDRESS'];
  if (a) {
    // The first address the bus offers, when it is a unix socket (a guid may follow).
    const first = a.split(';')[0]!;
    return /^unix:(?:path|abstract)=[^,\0]+(?:,guid=[0-9a-f]+)?$/.test(first) ? first : null;
  }
  const p = rt ? path.join(rt, 'bus') : null;
  return p && isSocket(p) ? `unix:path=${p}` : null;
}

export { DBUS_DEFAULT_TALK };
/** The bus socket inside, and the address programs there use. */
export const INSIDE_BUS = `${INSIDE_RUNTIME}/bus`;

/** The xdg-dbus-proxy a filtered bus needs: run on the host before the sandbox, stopped with it. */
export interface BusProxyPlan {
  /** The session bus it connects to. */
  address: string;
  /** Where it listens (in the sandbox's runtime folder on the host); bound as INSIDE_BUS. */
  socket: string;
  /** Its options after ADDRESS PATH. */
  args: string[];
}

/**
 * The proxy's filter options. The defaults are `--call` rules, not `--talk`: xdg-dbus-proxy lets a
 * client talk to a name's owner by its unique name too, with every method of every object that
 * connection serves, and the process that shows notifications is often the desktop shell itself
 * (GNOME Shell, Plasma), with its own script and screen-capture methods. So the notification
 * server is called on its interface and object only, and the portal on its own objects; the
 * profile's `talk` names are talked to whole, as it asked.
 */
export function busProxyArgs(talk: readonly string[]): string[] {
  const own = [...new Set(talk)].filter((n) => !(DBUS_DEFAULT_TALK as readonly string[]).includes(n));
  return [
    '--filter',
    '--call=org.freedesktop.Notifications=org.freedesktop.Notifications.*@/org/freedesktop/Notifications',
    '--broadcast=org.freedesktop.Notifications=org.freedesktop.Notifications.*@/org/freedesktop/Notifications',
    '--call=org.freedesktop.portal.Desktop=*@/org/freedesktop/portal/*',
    // The portal's signals come back on its own object paths (its Request and Session objects).
    '--broadcast=org.freedesktop.portal.Desktop=@/org/freedesktop/portal/*',
    ...own.map((n) => `--talk=${n}`),
  ];
}

export interface GraphicsPlan {
  mounts: MountOp[];
  env: Record<string, string>;
  /** One line per grant: what is bound, or why it is not. `plan` and `info` show them. */
  notes: string[];
  /** dbus: filtered with a session bus here: the proxy to run. */
  busProxy: BusProxyPlan | null;
}

/** Whether the profile asks for anything of the desktop session. */
export function wantsSession(p: Profile): boolean {
  return p.display.wayland || p.display.x11 || p.audio || p.gpu || p.dbus.mode !== 'none';
}

export const WAYLAND_NOTE = "the compositor's own socket: wp_security_context_v1 (a per-sandbox socket) is not used yet, so programs inside may use every protocol the compositor offers your other programs";

/**
 * The mounts, environment and notes the profile's graphical grants add to the plan. busSocket is
 * where this sandbox's bus proxy listens on the host (dbus: filtered).
 */
export function graphicsPlan(p: Profile, host: GraphicsHost, busSocket: string | null = null): GraphicsPlan {
  const mounts: MountOp[] = [];
  const env: Record<string, string> = {};
  const notes: string[] = [];
  let busProxy: BusProxyPlan | null = null;
  if (!wantsSession(p)) return { mounts, env, notes, busProxy };
  if (p.display.wayland || p.display.x11 || p.audio || p.dbus.mode === 'filtered') {
    mounts.push({ op: 'dir', target: INSIDE_RUNTIME, perms: '0700', why: "the sandbox's own runtime folder" });
    env['XDG_RUNTIME_DIR'] = INSIDE_RUNTIME;
  }
  if (p.display.wayland || p.display.x11) {
    // Fonts as on the host: fontconfig's settings and cache (the fonts themselves are in /usr).
    mounts.push(
      { op: 'ro-bind-try', source: '/etc/fonts', target: '/etc/fonts', why: 'font settings, read-only' },
      { op: 'ro-bind-try', source: '/var/cache/fontconfig', target: '/var/cache/fontconfig', why: 'font cache, read-only' },
    );
  }
  if (p.display.wayland) {
    if (host.wayland) {
      mounts.push({ op: 'ro-bind', source: host.wayland, target: WAYLAND_INSIDE, why: "the Wayland compositor's socket" });
      env['WAYLAND_DISPLAY'] = 'wayland-0';
      notes.push(`wayland: ${host.wayland} as ${INSIDE_RUNTIME}/wayland-0; ${WAYLAND_NOTE}`);
    } else {
      notes.push('wayland: not bound, no compositor socket here ($WAYLAND_DISPLAY is unset or names no socket)');
    }
  }
  if (p.display.x11) {
    if (host.x11) {
      const n = host.x11.display;
      mounts.push({ op: 'ro-bind', source: host.x11.socket, target: `/tmp/.X11-unix/X${n}`, why: "the X server's socket path (never its abstract socket)" });
      env['DISPLAY'] = `:${n}`;
      if (host.xauthority) {
        mounts.push({ op: 'x11-cookie', source: host.xauthority, display: n, target: INSIDE_XAUTHORITY, why: "the X server's cookie for this display only, in a private file" });
        env['XAUTHORITY'] = INSIDE_XAUTHORITY;
        notes.push(`x11: display :${n} through ${host.x11.socket} only (not the abstract socket), with the server's cookie for :${n} alone from ${host.xauthority}`);
      } else {
        notes.push(`x11: display :${n} through ${host.x11.socket}, without a cookie (no Xauthority file here): only a server that needs none will accept it`);
      }
    } else {
      notes.push('x11: not bound, no local X display here ($DISPLAY is unset, not :N, or its socket is missing)');
    }
  }
  if (p.audio) {
    if (host.pulse) {
      mounts.push({ op: 'ro-bind', source: host.pulse, target: INSIDE_PULSE, why: 'the PulseAudio socket' });
      env['PULSE_SERVER'] = `unix:${INSIDE_PULSE}`;
    }
    if (host.pipewire) mounts.push({ op: 'ro-bind', source: host.pipewire, target: `${INSIDE_RUNTIME}/pipewire-0`, why: 'the PipeWire socket' });
    notes.push(host.pulse || host.pipewire
      ? `audio: ${[host.pulse && `PulseAudio ${host.pulse}`, host.pipewire && `PipeWire ${host.pipewire}`].filter(Boolean).join(', ')}`
      : 'audio: not bound, no PulseAudio or PipeWire socket here');
  }
  if (p.gpu) {
    if (host.dri) {
      mounts.push({ op: 'dev-bind', source: '/dev/dri', target: '/dev/dri', why: 'the GPU, with device access' });
      notes.push('gpu: /dev/dri');
    } else {
      notes.push('gpu: not bound, this host has no /dev/dri');
    }
  }
  if (p.dbus.mode === 'filtered') {
    const talk = [...new Set([...DBUS_DEFAULT_TALK, ...p.dbus.talk])];
    if (!host.dbus) {
      notes.push('dbus: filtered, but no session bus here ($DBUS_SESSION_BUS_ADDRESS is unset or not a unix: address): no bus is bound');
    } else if (!busSocket) {
      notes.push('dbus: filtered, but no place for the proxy socket: no bus is bound');
    } else {
      busProxy = { address: host.dbus, socket: busSocket, args: busProxyArgs(p.dbus.talk) };
      mounts.push({ op: 'ro-bind', source: busSocket, target: INSIDE_BUS, why: "the sandbox's own D-Bus proxy (xdg-dbus-proxy), filtered" });
      env['DBUS_SESSION_BUS_ADDRESS'] = `unix:path=${INSIDE_BUS}`;
      notes.push(`dbus: filtered, through an xdg-dbus-proxy of its own to ${host.dbus}; programs inside may call ${talk.join(', ')} and see no other name`);
    }
  }
  return { mounts, env, notes, busProxy };
}

/** X authority families (Xauth.h). */
const FAMILY_LOCAL = 256;
const FAMILY_WILD = 65535;
const COOKIE = 'MIT-MAGIC-COOKIE-1';

interface XauthEntry {
  family: number;
  address: Buffer;
  number: string;
  name: string;
  data: Buffer;
}

/** Parses an Xauthority file: entries of a 16-bit family and four counted strings, big-endian. */
export function parseXauthority(buf: Buffer): XauthEntry[] {
  const out: XauthEntry[] = [];
  let at = 0;
  const field = (): Buffer | null => {
    if (at + 2 > buf.length) return null;
    const n = buf.readUInt16BE(at);
    if (at + 2 + n > buf.length) return null;
    const b = buf.subarray(at + 2, at + 2 + n);
    at += 2 + n;
    return b;
  };
  while (at + 2 <= buf.length) {
    const family = buf.readUInt16BE(at);
    at += 2;
    const [address, number, name, data] = [field(), field(), field(), field()];
    if (!address || !number || !name || !data) break;
    out.push({ family, address, number: number.toString('latin1'), name: name.toString('latin1'), data });
  }
  return out;
}

function counted(b: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/**
 * A private Xauthority file for display :N: the X server's MIT cookie for that display alone (none
 * of the user's other cookies), as a FamilyWild entry, since the sandbox's hostname differs from
 * the host's and Xlib looks local cookies up by hostname. Null when the file has no such cookie.
 *
 * The cookie is the server's own: `xauth generate` (a cookie of the SECURITY extension) would give
 * the sandbox one of its own, but servers refuse or crash on them (Xvfb 21 did both in our tests).
 */
export function xauthorityFor(display: number, file: string, hostname: string = os.hostname()): Buffer | null {
  let entries: XauthEntry[];
  try {
    entries = parseXauthority(fs.readFileSync(file));
  } catch {
    return null;
  }
  const mine = entries.filter((e) => e.name === COOKIE && e.number === String(display) && (e.family === FAMILY_WILD || (e.family === FAMILY_LOCAL && e.address.toString('latin1') === hostname)));
  const e = mine.find((x) => x.family === FAMILY_LOCAL) ?? mine[0];
  if (!e) return null;
  const family = Buffer.alloc(2);
  family.writeUInt16BE(FAMILY_WILD);
  return Buffer.concat([family, counted(Buffer.alloc(0)), counted(Buffer.from(String(display), 'latin1')), counted(Buffer.from(COOKIE, 'latin1')), counted(e.data)]);
}
