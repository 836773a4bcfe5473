// The OpenVPN management protocol, client side: line parsing and quoting (pure, no sockets).

export type MgmtEvent =
  | { kind: 'hold' }
  | { kind: 'password-needed'; what: string; userPass: boolean; challenge: StaticChallenge | null }
  | { kind: 'password-failed'; what: string; reason: string | null }
  | { kind: 'state'; name: string; detail: string; local: string; remote: string; remotePort: string }
  | { kind: 'log'; flags: string; message: string }
  | { kind: 'fatal'; message: string }
  | { kind: 'info'; message: string }
  | { kind: 'other'; line: string };

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

/** A static challenge as the client announces it (`SC:<flags>,<text>`): flag 1 echo, flag 2 concatenate. */
export interface StaticChallenge {
  echo: boolean;
  /** The code goes after the password as it is, not as SCRV1 (OpenVPN 2.7's `concat` format). */
  concat: boolean;
  text: string;
}

/** One line from the management socket as an event. */
export function parseMgmtLine(line: string): MgmtEvent {
  if (line.startsWith('>HOLD:')) return { kind: 'hold' };
  if (line.startsWith('>PASSWORD:')) {
    const rest = line.slice('>PASSWORD:'.length);
    // `Verification Failed: 'Auth' ['CRV1:...']`: the reason the server gave, when it gave one.
    // (Older clients leave out the 'Auth'.)
    const failed = /^Verification Failed:(?: '([^']*)')?(?: \['(.*)'\])?/.exec(rest);
    if (failed) return { kind: 'password-failed', what: failed[1] ?? 'Auth', reason: failed[2] ?? null };
    const need = /^Need '([^']*)' (username\/password|password)(?: SC:(\d+),(.*))?$/.exec(rest);
    if (need) {
      const flags = need[3] === undefined ? null : Number.parseInt(need[3], 10);
      return {
        kind: 'password-needed',
        what: need[1]!,
        userPass: need[2] === 'username/password',
        challenge: flags === null ? null : { echo: (flags & 1) !== 0, concat: (flags & 2) !== 0, text: need[4] ?? '' },
      };
    }
  }
  if (line.startsWith('>INFOMSG:')) return { kind: 'info', message: line.slice('>INFOMSG:'.length) };
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

/**
 * What the server asked for beyond a user name, password and static one-time code, in words, or
 * null: a dynamic challenge (`CRV1:` in the AUTH_FAILED reason, or a pending-auth `CR_TEXT:`) or
 * a web login (`WEB_AUTH:`, `OPEN_URL:`). Sandtray supports neither yet.
 */
export function unsupportedAuth(text: string | null): string | null {
  if (!text) return null;
  if (/^CRV1:/.test(text) || /^CR_TEXT:/.test(text)) return 'the server asks a second question after the password (a dynamic challenge), which Sandtray does not support yet';
  if (/^(WEB_AUTH|OPEN_URL):/.test(text)) return 'the server asks for a login in a web browser, which Sandtray does not support yet';
  return null;
}

/** The password field of a static-challenge answer: `SCRV1:<base64 password>:<base64 code>`. */
export function staticChallengeResponse(password: string, code: string, concat = false): string {
  if (concat) return `${password}${code}`;
  const b64 = (x: string): string => Buffer.from(x, 'utf8').toString('base64');
  return `SCRV1:${b64(password)}:${b64(code)}`;
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
