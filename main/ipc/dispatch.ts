// The single handler wrapper: checks who is asking, parses the request, runs the handler, parses
// the reply, and wraps the outcome in an envelope. Electron's adapter and the test bridge both use it.
import { z } from 'zod';
import { asSandtrayError, formatIssues } from '../../helpers/api/index.js';
import { CONTRACT, isOperation, type Envelope, type Operation, type ParsedRequest, type Reply } from './contract.js';

/** Who sent a request, as Electron describes the sending frame. */
export interface SenderInfo {
  /** webContents id of the sender. */
  webContentsId: number;
  /** URL of the frame that sent the message. */
  frameUrl: string;
  /** False for iframes: only our top-level document may call. */
  isMainFrame: boolean;
}

/** The frames we trust: our own windows, showing our own renderer file. */
export interface TrustedSenders {
  webContentsIds: ReadonlySet<number>;
  /** file:// URL of renderer/index.html. */
  rendererUrl: string;
}

/** Per-call facts handlers may use, e.g. to tie a terminal to the window that opened it. */
export interface CallContext {
  senderId: number;
}

export type Handlers = {
  [K in Operation]: (request: ParsedRequest<K>, ctx: CallContext) => Promise<Reply<K>> | Reply<K>;
};

/** True when the sender is our window's main frame showing our renderer (not a navigated or foreign page). */
export function isTrustedSender(sender: SenderInfo, trusted: TrustedSenders): boolean {
  if (!sender.isMainFrame || !trusted.webContentsIds.has(sender.webContentsId)) return false;
  let got: URL;
  let want: URL;
  try {
    got = new URL(sender.frameUrl);
    want = new URL(trusted.rendererUrl);
  } catch {
    return false;
  }
  // The hash may carry view state; the document itself must be exactly our file.
  return got.protocol === 'file:' && want.protocol === 'file:' && got.host === '' && got.pathname === want.pathname && got.search === '';
}

/** Handles one request from start to end; never throws. */
export type Dispatch<S> = (op: unknown, payload: unknown, sender: S) => Promise<Envelope<unknown>>;

/** How a transport (Electron IPC, the test bridge) vets its senders. */
export interface SenderPolicy<S> {
  allowed(sender: S): boolean;
  context(sender: S): CallContext;
}

/**
 * Builds the dispatcher. The sender is checked before anything else is looked at, so a foreign
 * frame learns nothing (not even whether an operation exists).
 */
export function createDispatcher<S>(handlers: Handlers, policy: SenderPolicy<S>): Dispatch<S> {
  return async (op, payload, sender) => {
    if (!policy.allowed(sender)) return fail('FORBIDDEN', 'This window may not talk to Sandtray', undefined);
    const ctx = policy.context(sender);
    if (!isOperation(op)) return fail('INVALID_ARGUMENT', 'Unknown operation', undefined);
    const spec = CONTRACT[op];
    const parsed = spec.request.safeParse(payload);
    if (!parsed.success) return fail('INVALID_ARGUMENT', `Bad request for ${op}: ${formatIssues(parsed.error.issues).join('; ')}`, undefined);
    let result: unknown;
    try {
      const handler = handlers[op] as (r: unknown, c: CallContext) => unknown;
      result = await handler(parsed.data, ctx);
    } catch (err) {
      const e = asSandtrayError(err);
      return fail(e.code, e.message, e.hint);
    }
    const reply = (spec.reply as z.ZodType).safeParse(result);
    if (!reply.success) {
      return fail('INTERNAL', `Reply of ${op} does not match the contract: ${formatIssues(reply.error.issues).join('; ')}`, 'This is a bug in Sandtray; please report it.');
    }
    return { ok: true, value: reply.data };
  };
}

function fail(code: string, message: string, hint: string | undefined): Envelope<never> {
  return { ok: false, error: hint ? { code, message, hint } : { code, message } };
}

/** The policy for Electron senders: our windows' main frames showing our renderer file. */
export function frameSenderPolicy(trusted: TrustedSenders): SenderPolicy<SenderInfo> {
  return { allowed: (s) => isTrustedSender(s, trusted), context: (s) => ({ senderId: s.webContentsId }) };
}
