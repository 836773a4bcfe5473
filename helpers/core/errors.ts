// The one error type of the engine: a code for programs, a message and a hint for people.
export type ErrorCode =
  | 'INVALID_PROFILE'
  | 'INVALID_NAME'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'WRONG_STATE'
  | 'START_FAILED'
  | 'STOP_FAILED'
  | 'TIMEOUT'
  | 'MISSING_TOOL'
  | 'HOST_UNSUPPORTED'
  | 'IDMAP'
  | 'LOCKED'
  | 'SECRET'
  | 'VPN'
  /** A state folder or profile file that someone else owns or can write (core/trust.ts). */
  | 'UNTRUSTED_PATH'
  /** A profile file changed since the sandbox last started, and the caller asked to be asked. */
  | 'PROFILE_CHANGED'
  | 'INTERNAL';

export interface ErrorJson {
  code: ErrorCode;
  message: string;
  hint?: string;
  cause?: string;
}

/** An error a user can act on: what went wrong and what to do about it. */
export class SandtrayError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  override readonly cause: unknown;

  constructor(code: ErrorCode, message: string, hint?: string, cause?: unknown) {
    super(message);
    this.name = 'SandtrayError';
    this.code = code;
    this.hint = hint;
    this.cause = cause;
  }

  /** Plain object for `--json` output and the IPC contract. */
  toJSON(): ErrorJson {
    const out: ErrorJson = { code: this.code, message: this.message };
    if (this.hint) out.hint = this.hint;
    if (this.cause !== undefined) out.cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return out;
  }
}

/** Wraps anything thrown into a SandtrayError, keeping ours as they are. */
export function asSandtrayError(err: unknown, context = 'Unexpected failure'): SandtrayError {
  if (err instanceof SandtrayError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new SandtrayError('INTERNAL', `${context}: ${msg}`, 'Run with --json for details or report this as a bug.', err);
}
