// `start --wait` (and launch, restart): after a start, wait until the VPN tunnel of the sandbox is
// up, as vopono runs its application only once the connection is. "Up" is the agent's `connected`
// (vpn/agent.ts): for OpenVPN, CONNECTED and the pushed settings applied inside; for WireGuard, a
// handshake with the peer, which follows the configuration at once since the driver always sets a
// persistent keepalive (vpn/wireguard.ts peerKeepalives). Event-driven: the agent renames vpn.json
// into the runtime folder on each change and bwrap's monitor writes exit.json when pid 1 dies,
// both seen through watchStates' inotify watches; a slow check backs them up.
import type { Paths } from '../core/paths.js';
import { sandtrayPaths } from '../core/paths.js';
import { watchStates } from '../inspect/monitor.js';
import { sandboxState, type RuntimeState, type State } from '../runtime/state.js';
import { readVpnStatus, recordStartFailure, type VpnStatus } from '../vpn/status.js';
import { logEvent } from '../runtime/log.js';
import { sandboxDirs } from '../runtime/store.js';

export type TunnelWait =
  | { outcome: 'up'; status: VpnStatus }
  | { outcome: 'failed'; message: string }
  | { outcome: 'timeout'; last: VpnStatus | null }
  /** Pid 1 ended (or the sandbox was stopped or deleted) while waiting. */
  | { outcome: 'ended'; state: State | 'DELETED' }
  | { outcome: 'aborted' };

/** The default of --wait-timeout, in seconds. */
export const DEFAULT_TUNNEL_WAIT_SEC = 60;

/** How often the state is read again besides the notifications (a missed one costs at most this). */
const BACKSTOP_MS = 1000;

/** Whether a started sandbox has a tunnel to wait for. */
export function hasTunnel(rt: Pick<RuntimeState, 'network'>): boolean {
  return rt.network === 'vpn';
}

/**
 * Waits until the tunnel of the running sandbox whose pid 1 is init is connected, fails, the
 * sandbox leaves RUNNING (or another pid 1 replaces this one), the timeout passes or signal aborts.
 */
export function waitForTunnel(name: string, init: NonNullable<RuntimeState['init']>, timeoutSec: number, opts: { paths?: Paths; signal?: AbortSignal } = {}): Promise<TunnelWait> {
  const paths = opts.paths ?? sandtrayPaths();
  return new Promise((resolve) => {
    let last: VpnStatus | null = null;
    let done = false;
    const check = (): TunnelWait | null => {
      let state: State | 'DELETED';
      let runtime: RuntimeState | null;
      try {
        ({ state, runtime } = sandboxState(name, paths));
      } catch {
        state = 'DELETED';
        runtime = null;
      }
      const same = runtime?.init?.pid === init.pid && runtime.init.start === init.start;
      if (state !== 'RUNNING' || !same) return { outcome: 'ended', state: state === 'RUNNING' ? 'STOPPED' : state };
      const st = readVpnStatus(sandboxDirs(name, paths));
      if (st) last = st;
      if (st?.state === 'connected') return { outcome: 'up', status: st };
      if (st?.state === 'failed') return { outcome: 'failed', message: st.message ?? 'the tunnel failed' };
      return null;
    };
    const finish = (r: TunnelWait): void => {
      if (done) return;
      done = true;
      watcher?.close();
      clearInterval(backstop);
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const again = (): void => {
      if (done) return;
      const r = check();
      if (r) finish(r);
    };
    const onAbort = (): void => finish({ outcome: 'aborted' });
    // Watches first, then the first look: whatever changes after the watch is armed is notified.
    let watcher: ReturnType<typeof watchStates> | null = null;
    try {
      watcher = watchStates(() => again(), { paths, only: name, onChange: again });
    } catch {
      // No watch (an untrusted folder above the state): the backstop alone reads it.
    }
    const backstop = setInterval(again, BACKSTOP_MS);
    const timer = setTimeout(() => finish({ outcome: 'timeout', last }), timeoutSec * 1000);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    again();
  });
}

/**
 * Notes in the lifecycle log why a wait gave up, and keeps it for `vpn status` once the sandbox is
 * stopped (the same note a start that failed outright keeps, until the next start).
 */
export function noteTunnelWaitFailure(name: string, message: string, paths?: Paths): void {
  const dirs = sandboxDirs(name, paths);
  try {
    logEvent(dirs.log, `start --wait: ${message}`);
  } catch {
    // the log is not essential here
  }
  recordStartFailure(dirs, message);
}
