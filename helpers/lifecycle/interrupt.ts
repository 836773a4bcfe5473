// SIGINT, SIGHUP and SIGTERM during a start: caught, so the start ends at its next step and reverts.
import { SandtrayError } from '../core/errors.js';

const SIGNALS = ['SIGINT', 'SIGHUP', 'SIGTERM'] as const;
type Caught = (typeof SIGNALS)[number];

/**
 * Catches the terminal and termination signals while a multi-step operation runs. The operation
 * calls check() between steps (and wraps waits that spawn nothing, such as a secret prompt, in
 * race()), so it stops at a step boundary and its revert knows everything it started. done()
 * removes the handlers; after an interruption it raises the signal again when nothing else of this
 * process listens for it, so the process ends as the signal meant (a CLI exits 128 + its number).
 */
export class Interrupts {
  signal: Caught | null = null;
  private readonly handlers = new Map<Caught, () => void>();
  private wake: (() => void) | null = null;
  private readonly woken: Promise<void>;

  constructor(private readonly what: string, onSignal?: (sig: Caught) => void) {
    this.woken = new Promise<void>((resolve) => (this.wake = resolve));
    for (const sig of SIGNALS) {
      const h = (): void => {
        if (!this.signal) {
          this.signal = sig;
          onSignal?.(sig);
        }
        this.wake?.();
      };
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  private error(): SandtrayError {
    return new SandtrayError('START_FAILED', `${this.what} was interrupted (${this.signal})`, 'Nothing it started is left running.');
  }

  /** Throws when a signal came. */
  check(): void {
    if (this.signal) throw this.error();
  }

  /** Waits for p, or throws as soon as a signal comes. Only for waits that start no process. */
  async race<T>(p: Promise<T>): Promise<T> {
    this.check();
    const r = await Promise.race([p, this.woken.then(() => null as never)]);
    this.check();
    return r;
  }

  /** Removes the handlers; re-raises a caught signal nobody else in this process handles. */
  done(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
    this.handlers.clear();
    const sig = this.signal;
    if (sig && process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  }
}
