// Tunnel status for the tray and the window, from the engine's VPN agent (helpers/api vpnStatus),
// mapped onto the three states the desktop shows.
import { vpnStatus, vpnTypes } from '../../helpers/api/index.js';
import { z } from 'zod';
import type { SandboxSummary, VpnStatus } from '../ipc/contract.js';

const agentStatus = z.object({
  type: z.enum(vpnTypes).optional(),
  state: z.string(),
  message: z.string().nullable().optional(),
  addresses: z.array(z.string()).optional(),
});

/** Maps the agent's states onto the three the desktop shows. */
export function vpnFromAgent(raw: unknown): VpnStatus | null {
  const p = agentStatus.safeParse(raw);
  if (!p.success) return null;
  const s = p.data.state;
  const state = s === 'connected' ? 'up' : s === 'connecting' || s === 'reconnecting' ? 'connecting' : s === 'failed' || s === 'down' ? 'down' : null;
  if (!state) return null;
  const address = p.data.addresses?.[0]?.replace(/\/\d+$/, '') ?? null;
  return { ...(p.data.type ? { type: p.data.type } : {}), state, address, detail: p.data.message ?? (s === 'reconnecting' ? 'reconnecting' : null) };
}

/** The summary with its tunnel status filled in, when the sandbox is a running VPN sandbox. */
export function withVpnStatus(s: SandboxSummary): SandboxSummary {
  if (s.vpn || s.state === 'STOPPED') return s;
  const vpn = vpnFromAgent(vpnStatus(s.name));
  return vpn ? { ...s, vpn } : s;
}
