// Tunnel status for the tray and the window, from the status file the engine's VPN agent keeps in
// the sandbox's runtime folder (vpn.json). Read tolerantly: an unknown shape means "no report".
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sandboxDirs } from '../../helpers/runtime/store.js';
import type { SandboxSummary, VpnStatus } from '../ipc/contract.js';

const agentStatus = z.object({
  type: z.enum(['openvpn', 'wireguard']).optional(),
  state: z.string(),
  message: z.string().nullable().optional(),
  addresses: z.array(z.string()).optional(),
});

/** Maps the agent's states onto the three the desktop shows. */
export function vpnFromAgent(raw: unknown): VpnStatus | null {
  const p = agentStatus.safeParse(raw);
  if (!p.success) return null;
  const s = p.data.state;
  const state = s === 'connected' || s === 'up' ? 'up' : s === 'connecting' || s === 'reconnecting' ? 'connecting' : s === 'failed' || s === 'down' ? 'down' : null;
  if (!state) return null;
  const address = p.data.addresses?.[0]?.replace(/\/\d+$/, '') ?? null;
  return { ...(p.data.type ? { type: p.data.type } : {}), state, address, detail: p.data.message ?? (s === 'reconnecting' ? 'reconnecting' : null) };
}

/** The summary with its tunnel status filled in, when the sandbox is a running VPN sandbox. */
export function withVpnStatus(s: SandboxSummary): SandboxSummary {
  if (s.vpn || s.state === 'STOPPED') return s;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(sandboxDirs(s.name).runtime, 'vpn.json'), 'utf8'));
  } catch {
    return s;
  }
  const vpn = vpnFromAgent(raw);
  return vpn ? { ...s, vpn } : s;
}
