// The OpenVPN management protocol, client side: line parsing and quoting (pure, no sockets).

export type MgmtEvent =
  | { kind: 'hold' }
  | { kind: 'password-needed'; what: string; userPass: boolean }
  | { kind: 'password-failed'; what: string }
  | { kind: 'state'; name: string; detail: string; local: string; remote: string; remotePort: string }
  | { kind: 'log'; flags: string; message: string }
  | { kind: 'fatal'; message: string }
  | { kind: 'other'; line: string };

/** One line from the management socket as an event. */
export function parseMgmtLine(line: string): MgmtEvent {
  if (line.startsWith('>HOLD:')) return { kind: 'hold' };
  if (line.startsWith('>PASSWORD:')) {
    const rest = line.slice('>PASSWORD:'.length);
    const failed = /^Verification Failed: '([^']*)'/.exec(rest);
    if (failed) return { kind: 'password-failed', what: failed[1]! };
    const need = /^Need '([^']*)' (username\/password|password)/.exec(rest);
    if (need) return { kind: 'password-needed', what: need[1]!, userPass: need[2] === 'username/password' };
  }
  if (line.startsWith('>STATE:')) {
    const f = line.slice('>STATE:'.length).split(',');
    return { kind: 'state', name: f[1] ?? '', detail: f[2] ?? '', local: f[3] ?? '', remote: f[4] ?? '', remotePort: f[5] ?? '' };
  }
  if (line.startsWith('>LOG:')) {
    const rest = line.slice('>LOG:'.length);
    const a = rest.indexOf(',');
    const b = rest.indexOf(',', a + 1);
    return { kind: 'log', flags: rest.slice(a + 1, b), message: rest.slice(b + 1) };
  }
  if (line.startsWith('>FATAL:')) return { kind: 'fatal', message: line.slice('>FATAL:'.length) };
  return { kind: 'other', line };
}

/** Quotes a value for a management command (backslash and double quote escaped). */
export function mgmtQuote(v: string): string {
  if (/[\r\n\0]/.test(v)) throw new Error('A secret must not contain line breaks');
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const PUSH_PREFIX = "PUSH: Received control message: '";

/** The PUSH_REPLY text of a log message, or null. */
export function pushReplyOf(message: string): string | null {
  const at = message.indexOf(PUSH_PREFIX);
  if (at < 0) return null;
  const body = message.slice(at + PUSH_PREFIX.length).replace(/'$/, '');
  return body.startsWith('PUSH_REPLY') ? body : null;
}

/** OpenVPN connection states that mean "on the way to a tunnel". */
export const CONNECTING_STATES = new Set(['CONNECTING', 'WAIT', 'AUTH', 'GET_CONFIG', 'ASSIGN_IP', 'ADD_ROUTES', 'RESOLVE', 'TCP_CONNECT', 'AUTH_PENDING']);

/** Secrets shorter than this are not searched for in lines: they would match ordinary words. */
const MIN_SCRUBBED = 3;

/**
 * A line of the client's own output as the lifecycle log may show it, or null to leave it out.
 * OpenVPN echoes every management command at verb 3 (`MANAGEMENT: CMD 'username "Auth" "NAME"'`),
 * which would put the user name in the log: those lines are dropped. Any secret the agent holds
 * that still appears in a line is replaced. Overlong lines are cut.
 */
export function scrubClientLine(line: string, secrets: readonly string[]): string | null {
  if (/MANAGEMENT: CMD '/.test(line)) return null;
  let out = line.length > 4096 ? `${line.slice(0, 4096)}...` : line;
  for (const s of secrets) if (s.length >= MIN_SCRUBBED && out.includes(s)) out = out.split(s).join('[hidden]');
  return out;
}

/** The same for a state message shown by `vpn status` and `monitor`. */
export function scrubMessage(message: string | null, secrets: readonly string[]): string | null {
  if (message === null) return null;
  let out = message;
  for (const s of secrets) if (s.length >= MIN_SCRUBBED && out.includes(s)) out = out.split(s).join('[hidden]');
  return out;
}
