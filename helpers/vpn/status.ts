// The VPN status file in the sandbox's runtime directory: written by the agent, read by `vpn status` and `monitor`.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { removeStatePath, writeStateFile } from '../core/trust.js';
import type { SandboxDirs } from '../runtime/store.js';
import { vpnTypes } from '../profile/schema.js';

export const VPN_STATES = ['connecting', 'connected', 'reconnecting', 'failed', 'down'] as const;
export type VpnState = (typeof VPN_STATES)[number];

export const vpnStatusSchema = z.object({
  type: z.enum(vpnTypes),
  state: z.enum(VPN_STATES),
  /** When the tunnel entered this state. */
  since: z.string(),
  /** Why it is in this state, for failed and reconnecting. */
  message: z.string().nullable(),
  device: z.string(),
  addresses: z.array(z.string()),
  routes: z.array(z.string()),
  dns: z.array(z.string()),
  domains: z.array(z.string()),
  endpoint: z.string().nullable(),
  mtu: z.number().nullable(),
});
export type VpnStatus = z.infer<typeof vpnStatusSchema>;

/** Where the status file of a sandbox lives. */
export function vpnStatusFile(dirs: Pick<SandboxDirs, 'runtime'>): string {
  return path.join(dirs.runtime, 'vpn.json');
}

/** Reads the status file; null when absent or damaged. */
export function readVpnStatus(dirs: Pick<SandboxDirs, 'runtime'>): VpnStatus | null {
  try {
    const parsed = vpnStatusSchema.safeParse(JSON.parse(fs.readFileSync(vpnStatusFile(dirs), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Why the last start failed because the VPN client stopped before it could be reached (OpenVPN's
 * own `Options error:` line, say). The runtime folder, and the status file in it, go with the failed
 * start, so this is kept beside the sandbox's record until the next start, for `vpn status`.
 */
export function startFailureFile(dirs: Pick<SandboxDirs, 'data'>): string {
  return path.join(dirs.data, 'vpn-start-failure.json');
}

const startFailureSchema = z.object({ at: z.string(), message: z.string() });
export type StartFailure = z.infer<typeof startFailureSchema>;

/** Keeps why a start failed; a folder that cannot take it only loses the note. */
export function recordStartFailure(dirs: Pick<SandboxDirs, 'data'>, message: string): void {
  try {
    writeStateFile(startFailureFile(dirs), JSON.stringify({ at: new Date().toISOString(), message }));
  } catch {
    // The start fails with this message anyway; only `vpn status` will not repeat it.
  }
}

/** Forgets the last start's failure (a new start begins). */
export function clearStartFailure(dirs: Pick<SandboxDirs, 'data'>): void {
  try {
    removeStatePath(startFailureFile(dirs));
  } catch {
    // Nothing kept, or nothing that can be trusted: reading it ignores it.
  }
}

/** The last start's failure, or null. */
export function readStartFailure(dirs: Pick<SandboxDirs, 'data'>): StartFailure | null {
  try {
    const parsed = startFailureSchema.safeParse(JSON.parse(fs.readFileSync(startFailureFile(dirs), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Bytes received and sent by a device of the network namespace of pid (the tunnel, inside). */
export function deviceBytes(pid: number, dev: string): { rx: number; tx: number } | null {
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2)) {
      const [name, rest] = line.split(':');
      if (name?.trim() !== dev || !rest) continue;
      const f = rest.trim().split(/\s+/).map(Number);
      return { rx: f[0] ?? 0, tx: f[8] ?? 0 };
    }
  } catch {
    // the sandbox is gone
  }
  return null;
}
