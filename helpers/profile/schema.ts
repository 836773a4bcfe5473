// The profile format (apiVersion sandtray/v1): one strict zod schema for a layer, one for the result.
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { talkRefusal } from './dbus-talk.js';
import { CAP_NAMES, parseCapName, type CapName } from '../confine/caps.js';
import { NAME_RE } from './name.js';

export const API_VERSION = 'sandtray/v1';

export { NAME_RE };
export const nameSchema = z
  .string()
  .regex(NAME_RE, 'must be 1-63 lowercase letters, digits or "-", not starting or ending with "-"');

/** `/a//b/./c/` -> `/a/b/c`: paths inside are compared and used only in this form. */
export function normalizeInside(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

const absPath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), 'must be an absolute path')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".."')
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  // Normalised before anything compares it: "/./proc", "/proc/" and "//proc" are /proc.
  .transform(normalizeInside);

// Sources may be relative (to the profile file) or start with "~" (the user's home); load.ts resolves them.
const hostPath = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\0'), 'must not contain NUL');

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

export const mountSchema = z.strictObject({
  source: hostPath.describe('Host path to bind in; relative paths are relative to the profile file'),
  target: absPath.describe('Where it appears inside the sandbox'),
  readOnly: z.boolean().optional().describe('Bind read-only (default true)'),
  optional: z.boolean().optional().describe('Skip the mount instead of failing when the source is missing'),
});

export const networkModes = ['none', 'nat', 'host', 'vpn'] as const;
/** The VPN types, named once: every other list of them derives from this one. */
export const vpnTypes = ['openvpn', 'wireguard'] as const;
export type VpnType = (typeof vpnTypes)[number];
export const vpnSchema = z.strictObject({
  type: z.enum(vpnTypes).describe('openvpn (.ovpn) or wireguard (wg-quick .conf)'),
  config: hostPath.describe('The VPN configuration file; relative paths are relative to the profile file'),
});
export const portProtos = ['tcp', 'udp'] as const;
const portNumber = z.number().refine(Number.isInteger, 'expected a whole number, 1 to 65535').min(1, 'a port is 1 to 65535').max(65535, 'a port is 1 to 65535');
export const portSchema = z.strictObject({
  host: portNumber.describe('The port that listens on the host'),
  sandbox: portNumber.optional().describe('The port inside the sandbox it leads to (default: the same as host)'),
  proto: z.enum(portProtos).optional().describe('tcp (default) or udp'),
  address: z.string().refine((a) => net.isIP(a) !== 0, 'expected an IPv4 or IPv6 address, e.g. 127.0.0.1').optional()
    .describe('The host address to listen on (default 127.0.0.1, the loopback; 0.0.0.0 or :: listens on every address, a risk)'),
});
/** The host's loopback: where a forwarded port listens unless the profile names another address. */
export const DEFAULT_PORT_ADDRESS = '127.0.0.1';

/** A forwarded port as the expanded profile holds it. */
export interface PortForward {
  host: number;
  sandbox: number;
  proto: (typeof portProtos)[number];
  address: string;
}

/** The key of a forward: one host port and protocol can listen once (on one address). */
export function portKey(f: { host: number; proto?: string }): string {
  return `${f.host}/${f.proto ?? 'tcp'}`;
}

const portsSchema = z.array(portSchema).superRefine((ports, ctx) => {
  const seen = new Map<string, number>();
  ports.forEach((f, i) => {
    const k = portKey(f);
    const first = seen.get(k);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'host'], message: `host port ${k} is already forwarded by network.ports[${first}]; each host port and protocol can be forwarded once` });
    else seen.set(k, i);
  });
});

export const networkSchema = z.strictObject({
  mode: z.enum(networkModes).optional().describe('none: loopback only; nat: user-mode NAT via pasta; host: share the host network; vpn: only a VPN tunnel'),
  allowHostLoopback: z.boolean().optional().describe('nat only: let the sandbox reach services on the host loopback'),
  vpn: vpnSchema.optional().describe('vpn mode: the tunnel the sandbox uses, and nothing else'),
  ports: portsSchema.optional().describe('nat and vpn: host ports forwarded to ports inside, by pasta; on the host\'s loopback unless an address is given'),
});

export const idmapSchema = z.strictObject({
  mode: z.enum(['shared', 'isolated']).optional().describe('shared: every sandbox uses the same map; isolated: a disjoint slice per sandbox'),
  size: z.number().int().min(1).max(16777216).optional().describe('Ids mapped inside, 0 included'),
});

/** A capability name as people write it (`NET_ADMIN`, `net_admin`, `CAP_NET_ADMIN`), normalised. */
export const capabilitySchema = z
  .string()
  .transform((s, ctx): CapName => {
    const c = parseCapName(s);
    if (!c) {
      ctx.addIssue({ code: 'custom', message: `unknown capability "${s}"; known: ${CAP_NAMES.join(', ')}` });
      return z.NEVER;
    }
    return c;
  });

export const homeSchema = z.union([z.enum(['private', 'tmpfs']), hostPath]);

export const displaySchema = z.strictObject({
  wayland: z.boolean().optional().describe("The compositor's Wayland socket, in the sandbox's own runtime folder"),
  x11: z.boolean().optional().describe('The X server: its socket path only (never the abstract socket) and its cookie in a private file; X11 programs can read and type into every window'),
});

/** A D-Bus well-known name: dot-separated elements of letters, digits, "_" and "-", at least two; "*" only as the last element. */
const busName = z
  .string()
  .max(255)
  .regex(/^[A-Za-z_-][A-Za-z0-9_-]*(\.[A-Za-z_-][A-Za-z0-9_-]*)*(\.\*|\.[A-Za-z_-][A-Za-z0-9_-]*)$/, 'must be a D-Bus name such as org.freedesktop.Notifications (or org.example.*)')
  .superRefine((n, ctx) => {
    if (n.endsWith('.*') && !n.slice(0, -2).includes('.')) {
      ctx.addIssue({ code: 'custom', message: `${n}: a family needs at least two elements before .* (xdg-dbus-proxy refuses ${n.slice(0, -2)} as a name), e.g. org.example.*` });
      return;
    }
    const why = talkRefusal(n);
    if (why) ctx.addIssue({ code: 'custom', message: `${why}; no sandbox may call it (name the services the app needs, not a family that holds it)` });
  });
export const dbusModes = ['none', 'filtered'] as const;
export const dbusSchema = z.union([
  z.enum(dbusModes),
  z.strictObject({
    mode: z.enum(dbusModes).describe('none: no bus at all; filtered: the session bus through xdg-dbus-proxy'),
    talk: z.array(busName).optional().describe('filtered: the names programs inside may call'),
  }),
]);

/** Text shown in menus and desktop entries: one line, no control characters. */
const label = z
  .string()
  .min(1)
  .max(100)
  .refine((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s), 'must be one line without control characters');
export const appSchema = z.strictObject({
  name: nameSchema.describe('How `sandtray open NAME APP` and the tray name it'),
  command: z.array(z.string().refine((s) => !s.includes('\0'), 'must not contain NUL')).min(1).describe('argv run inside the sandbox'),
  title: label.optional().describe('Shown in the tray and in the desktop entry (default: the name)'),
  icon: z
    .string()
    .min(1)
    .max(255)
    .regex(/^(\/[^\0\n\r\t]*|[A-Za-z0-9][A-Za-z0-9_.+-]*)$/, 'must be an icon name (e.g. firefox) or an absolute path')
    .optional()
    .describe('Icon name from the icon theme, or an absolute path on the host'),
});

/** One layer: every key optional; profiles and per-sandbox overrides are layers. */
export const layerSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Must be "${API_VERSION}"`),
  description: z.string().max(500).optional(),
  hostname: nameSchema.optional(),
  command: z.array(z.string().refine((s) => !s.includes('\0'), 'must not contain NUL')).min(1).optional()
    .describe('argv run by `shell` and `run`; default a login shell'),
  // Environment values are strings whatever YAML guesses: `DEBUG: 1` and `VERBOSE: true` mean "1" and "true".
  env: z.record(envName, z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string().refine((s) => !s.includes('\0'), 'must not contain NUL'))).optional(),
  workdir: absPath.optional(),
  home: homeSchema.optional().describe('private (kept per sandbox, default), tmpfs (thrown away), or a host folder'),
  shell: absPath.optional().describe('Login shell inside (default /bin/bash, else /bin/sh)'),
  mounts: z.array(mountSchema).optional(),
  network: networkSchema.optional(),
  idmap: idmapSchema.optional(),
  nesting: z.boolean().optional().describe('Allow creating user namespaces (and sandboxes) inside'),
  capabilities: z.array(capabilitySchema).optional()
    .describe('Capabilities root inside holds beyond the default set (e.g. NET_ADMIN, SYS_PTRACE); each one is flagged as a risk'),
  display: displaySchema.optional().describe('Graphical access: Wayland and/or X11 (default neither)'),
  audio: z.boolean().optional().describe('The PulseAudio and PipeWire sockets (default false)'),
  gpu: z.boolean().optional().describe('/dev/dri, for hardware-accelerated graphics (default false)'),
  dbus: dbusSchema.optional().describe('none (default): no bus; filtered: the session bus through xdg-dbus-proxy, with talk: [names]'),
  apps: z.array(appSchema).optional().describe('Programs the tray and `sandtray open` offer for this sandbox'),
  stopWhenIdle: z.boolean().optional().describe('Stop the sandbox when its last app and shell have exited (default false)'),
});
export type Layer = z.infer<typeof layerSchema>;

/** The expanded profile with every default filled in. */
export interface Profile {
  description: string;
  hostname: string;
  command: string[] | null;
  env: Record<string, string>;
  workdir: string | null;
  home: string;
  shell: string | null;
  mounts: { source: string; target: string; readOnly: boolean; optional: boolean }[];
  network: { mode: (typeof networkModes)[number]; allowHostLoopback: boolean; vpn: { type: VpnType; config: string } | null; ports: PortForward[] };
  idmap: { mode: 'shared' | 'isolated'; size: number };
  nesting: boolean;
  /** Capabilities asked for beyond the default set (see confine/caps.ts). */
  capabilities: CapName[];
  display: { wayland: boolean; x11: boolean };
  audio: boolean;
  gpu: boolean;
  dbus: { mode: (typeof dbusModes)[number]; talk: string[] };
  apps: AppEntry[];
  stopWhenIdle: boolean;
}

export interface AppEntry {
  name: string;
  command: string[];
  title: string | null;
  icon: string | null;
}

export const DEFAULT_IDMAP_SIZE = 65536;

/** JSON Schema of a profile file, for editors. */
export function profileJsonSchema(): unknown {
  const schema = z.toJSONSchema(layerSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://sandtray.invalid/schema/sandtray-v1.json',
    title: 'Sandtray profile (sandtray/v1)',
  };
}
