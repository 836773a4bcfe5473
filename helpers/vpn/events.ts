// VPN tunnel states for `monitor`: one entry per running VPN sandbox, from its status file.
import type { Paths } from '../core/paths.js';
import type { State } from '../runtime/state.js';
import { sandboxDirs } from '../runtime/store.js';
import { readVpnStatus, type VpnState } from './status.js';

export interface VpnEvent {
  state: VpnState;
  previous: VpnState | null;
  message: string | null;
}

/** Tunnel state of each running sandbox that has one; a stopped VPN sandbox reads "down". */
export function vpnSnapshot(paths: Paths, states: Map<string, State>): Map<string, { state: VpnState; message: string | null }> {
  const m = new Map<string, { state: VpnState; message: string | null }>();
  for (const [name, state] of states) {
    const st = readVpnStatus(sandboxDirs(name, paths));
    if (st && (state === 'RUNNING' || state === 'STARTING')) m.set(name, { state: st.state, message: st.message });
  }
  return m;
}
