// Events can reach the window before the reply that names what they belong to: main's events and
// the replies to calls are separate messages, and a shell prints its prompt, or a log gains a line,
// at once. What comes for an id nothing holds yet waits here, bounded, until its holder takes it.

export interface Waiting {
  data: string[];
  /** Set when the source ended before anything held it. */
  ended?: { code: number | null };
}

export class EarlyEvents {
  private readonly waiting = new Map<string, Waiting & { chars: number }>();

  constructor(private readonly maxIds = 16, private readonly maxChars = 256 * 1024) {}

  private of(id: string): Waiting & { chars: number } {
    let w = this.waiting.get(id);
    if (!w) {
      w = { data: [], chars: 0 };
      this.waiting.set(id, w);
      // Ids nothing ever takes (a view closed before its reply came) make room for new ones.
      while (this.waiting.size > this.maxIds) this.waiting.delete(this.waiting.keys().next().value as string);
    }
    return w;
  }

  /** Text for an id nothing holds yet; past the bound it is dropped. */
  data(id: string, text: string): void {
    const w = this.of(id);
    if (w.chars + text.length > this.maxChars) return;
    w.data.push(text);
    w.chars += text.length;
  }

  /** The end of a source nothing holds yet. */
  end(id: string, code: number | null): void {
    this.of(id).ended = { code };
  }

  /** What waited for `id`, in order; it waits no longer. */
  take(id: string): Waiting {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    return w ? { data: w.data, ...(w.ended ? { ended: w.ended } : {}) } : { data: [] };
  }
}

/** Terminal output and ends, by terminal id. */
export const earlyTerminal = new EarlyEvents();
/** Log text, by follow id. */
export const earlyLog = new EarlyEvents();
