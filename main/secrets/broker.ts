// Secrets a sandbox needs (a VPN password): from the keyring when remembered, else asked for in the
// window. A stored secret never goes to the window; the window only ever sends one.
import { randomBytes } from 'node:crypto';
import { SandtrayError } from '../../helpers/api/index.js';
import type { SandtrayEvent } from '../ipc/contract.js';
import type { Keyring } from './keyring.js';

export interface SecretRequest {
  sandbox: string;
  /** Keyring account, e.g. "work-vpn/auth-user-pass". */
  account: string;
  /** What to ask, e.g. "Password for alice@vpn.example.org". */
  label: string;
  detail?: string | null;
  /** Whether "remember in keyring" is offered (false for one-time codes). */
  canRemember?: boolean;
  /** A one-time code: never read from or stored to the keyring, and never remembered. */
  oneTime?: boolean;
  /** The answer may be shown as it is typed. */
  echo?: boolean;
  /** A user name whose password (this keyring account) is asked in the same dialog. */
  passwordAccount?: string;
}

interface Pending {
  req: SecretRequest;
  resolve(secret: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type PromptEvent = Extract<SandtrayEvent, { type: 'secret-prompt' | 'secret-cancel' }>;

export class SecretBroker {
  private readonly pending = new Map<string, Pending>();
  /** Passwords given with their user name, kept until the engine asks for them (two minutes at most). */
  private readonly handed = new Map<string, { secret: string; until: number }>();

  constructor(
    private readonly keyring: Keyring,
    private readonly emit: (e: PromptEvent) => void,
    private readonly timeoutMs = 5 * 60_000,
  ) {}

  /** The secret for a request: the keyring's, or the user's answer. Rejects with SECRET when cancelled. */
  async request(req: SecretRequest): Promise<string> {
    const given = this.handed.get(req.account);
    this.handed.delete(req.account);
    if (given && given.until > Date.now()) return given.secret;
    let stored: string | null = null;
    try {
      if (!req.oneTime) stored = await this.keyring.get(req.account);
    } catch {
      // No keyring (no secret service on the bus): ask instead.
    }
    if (stored !== null) return stored;
    const promptId = randomBytes(12).toString('base64url');
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(promptId);
        this.emit({ type: 'secret-cancel', promptId });
        reject(new SandtrayError('SECRET', `Nobody answered the password prompt for ${req.sandbox}`, 'Start it again and answer the prompt.'));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(promptId, { req, resolve, reject, timer });
      this.emit(promptEvent(promptId, req));
    });
  }

  /** The window's answer; null means cancelled. */
  async reply(promptId: string, secret: string | null, remember: boolean, password?: string): Promise<void> {
    const p = this.pending.get(promptId);
    if (!p) throw new SandtrayError('NOT_FOUND', 'That prompt is no longer waiting', 'It may have timed out; try again.');
    this.pending.delete(promptId);
    clearTimeout(p.timer);
    if (secret === null) {
      p.reject(new SandtrayError('SECRET', `Cancelled: no password for ${p.req.sandbox}`));
      return;
    }
    if (password !== undefined && p.req.passwordAccount) this.handed.set(p.req.passwordAccount, { secret: password, until: Date.now() + 120_000 });
    if (remember && p.req.canRemember !== false && !p.req.oneTime) {
      try {
        await this.keyring.set(p.req.account, secret);
        if (password !== undefined && p.req.passwordAccount) await this.keyring.set(p.req.passwordAccount, password);
      } catch (err) {
        p.resolve(secret);
        throw new SandtrayError('SECRET', `Could not store the password in the keyring: ${(err as Error).message}`, 'It was used this time; check that a keyring (GNOME Keyring, KWallet) is running.');
      }
    }
    p.resolve(secret);
  }

  /** Sends every waiting prompt again (a window opened after they were asked). */
  replay(): void {
    for (const [id, p] of this.pending) this.emit(promptEvent(id, p.req));
  }

  forget(account: string): Promise<boolean> {
    return this.keyring.remove(account);
  }

  get waiting(): number {
    return this.pending.size;
  }
}

function promptEvent(promptId: string, req: SecretRequest): PromptEvent {
  return {
    type: 'secret-prompt', promptId, sandbox: req.sandbox, label: req.label, detail: req.detail ?? null, canRemember: req.canRemember !== false && !req.oneTime,
    ...(req.oneTime ? { oneTime: true } : {}), ...(req.echo ? { echo: true } : {}), ...(req.passwordAccount ? { withPassword: true } : {}),
  };
}
