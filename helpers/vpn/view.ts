// What `vpn status` reports: the agent's status file plus live byte counters of the tunnel.
import { SandtrayError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import { expandRecord } from '../profile/resolve.js';
import { sandboxState } from '../runtime/state.js';
import { readRecord } from '../runtime/store.js';
import { deviceBytes, readStartFailure, readVpnStatus, type VpnStatus } from './status.js';
import type { VpnType } from '../profile/schema.js';

export interface VpnView extends Omit<VpnStatus, 'type' | 'device'> {
  name: string;
  type: VpnType;
  device: string | null;
  sandbox: string;
  bytesIn: number | null;
  bytesOut: number | null;
}

/** The tunnel of a VPN sandbox as it is now; state "down" when the sandbox is not running. */
export function vpnView(name: string, paths?: Paths): VpnView {
  const rec = readRecord(name, paths);
  const { profile } = expandRecord(rec, paths);
  if (profile.network.mode !== 'vpn' || !profile.network.vpn) {
    throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is not a VPN sandbox (network.mode is ${profile.network.mode})`, 'Import a VPN configuration with `sandtray vpn import FILE`.');
  }
  const { state, runtime, dirs } = sandboxState(name, paths);
  const st = state === 'RUNNING' || state === 'STARTING' ? readVpnStatus(dirs) : null;
  const bytes = st && runtime?.init ? deviceBytes(runtime.init.pid, st.device) : null;
  // Not running after a start whose client stopped at once: why, until the next start.
  const lastFailure = !st && state !== 'RUNNING' && state !== 'STARTING' ? readStartFailure(dirs) : null;
  return {
    name,
    sandbox: state,
    type: profile.network.vpn.type,
    state: st?.state ?? 'down',
    since: st?.since ?? runtime?.startedAt ?? '',
    message: st ? st.message : state === 'RUNNING' ? 'no tunnel information' : lastFailure ? `the last start failed (${lastFailure.at}): ${lastFailure.message}` : null,
    device: st?.device ?? null,
    addresses: st?.addresses ?? [],
    routes: st?.routes ?? [],
    dns: st?.dns ?? [],
    domains: st?.domains ?? [],
    endpoint: st?.endpoint ?? null,
    mtu: st?.mtu ?? null,
    bytesIn: bytes?.rx ?? null,
    bytesOut: bytes?.tx ?? null,
  };
}
