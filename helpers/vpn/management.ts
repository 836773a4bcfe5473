// What the engine and the agent (agent.ts, which speaks OpenVPN's management protocol) share.

/**
 * How the agent's state message begins when the client stopped before its management socket could
 * be reached (OpenVPN refusing an option, or another early exit): the start fails with it.
 */
export const OPTIONS_REFUSED = 'OpenVPN refused the configuration: ';
export const NOT_REACHED = 'the OpenVPN client exited before it could be reached';

/** Whether a state message says the client stopped before it could be reached. */
export function stoppedBeforeReachable(message: string | null): boolean {
  return !!message && (message.startsWith(OPTIONS_REFUSED) || message.startsWith(NOT_REACHED));
}

/** The secret that carries the one-time code of a static challenge: asked at every start, never stored. */
export const ONE_TIME_CODE = 'one-time-code';
