// The profile format (apiVersion sandtray/v1): one strict zod schema for a layer, one for the result.
import path from 'node:path';
import { z } from 'zod';
import { CAP_NAMES, parseCapName, type CapName } from '../confine/caps.js';

export const API_VERSION = 'sandtray/v1';

/** DNS-label-like names: what hostnames, sandbox names and profile names may be. */
export const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
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
export const vpnTypes = ['openvpn', 'wireguard'] as const;
export const vpnSchema = z.strictObject({
  type: z.enum(vpnTypes).describe('openvpn (.ovpn) or wireguard (wg-quick .conf)'),
  config: hostPath.describe('The VPN configuration file; relative paths are relative to the profile file'),
});
export const networkSchema = z.strictObject({
  mode: z.enum(networkModes).optional().describe('none: loopback only; nat: user-mode NAT via pasta; host: share the host network; vpn: only a VPN tunnel'),
  allowHostLoopback: z.boolean().optional().describe('nat only: let the sandbox reach services on the host loopback'),
  vpn: vpnSchema.optional().describe('vpn mode: the tunnel the sandbox uses, and nothing else'),
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

/** One layer: every key optional; profiles and per-sandbox overrides are layers. */
export const layerSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Must be "${API_VERSION}"`),
  description: z.string().max(500).optional(),
  hostname: nameSchema.optional(),
  command: z.array(z.string().refine((s) => !s.includes('\0'), 'must not contain NUL')).min(1).optional()
    .describe('argv run by `shell` and `run`; default a login shell'),
  env: z.record(envName, z.string().refine((s) => !s.includes('\0'), 'must not contain NUL')).optional(),
  workdir: absPath.optional(),
  home: homeSchema.optional().describe('private (kept per sandbox, default), tmpfs (thrown away), or a host folder'),
  shell: absPath.optional().describe('Login shell inside (default /bin/bash, else /bin/sh)'),
  mounts: z.array(mountSchema).optional(),
  network: networkSchema.optional(),
  idmap: idmapSchema.optional(),
  nesting: z.boolean().optional().describe('Allow creating user namespaces (and sandboxes) inside'),
  capabilities: z.array(capabilitySchema).optional()
    .describe('Capabilities root inside holds beyond the default set (e.g. NET_ADMIN, SYS_PTRACE); each one is flagged as a risk'),
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
  network: { mode: (typeof networkModes)[number]; allowHostLoopback: boolean; vpn: { type: (typeof vpnTypes)[number]; config: string } | null };
  idmap: { mode: 'shared' | 'isolated'; size: number };
  nesting: boolean;
  /** Capabilities asked for beyond the default set (see confine/caps.ts). */
  capabilities: CapName[];
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
