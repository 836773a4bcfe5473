// Text a sandbox could have written, made safe to print on a terminal. In core so the log reader
// (runtime/log.ts) and the CLI's printing (cli/output.ts) share it without the engine importing the CLI.
/**
 * Characters a terminal may act on rather than print: C0 controls, DEL, C1 controls (U+0080 to
 * U+009F, which some terminals honour as ESC sequences), and the Unicode bidirectional formatting
 * characters (which reorder what a line appears to say) and line/paragraph separators.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export interface VisibleOptions {
  /** Keep line feeds as they are (multi-line text); otherwise they show as ^J. */
  newlines?: boolean;
  /** Keep tabs as they are; otherwise they show as ^I. */
  tabs?: boolean;
}

/**
 * Makes every control character in s visible, as `cat -v` and `less` do: C0 and DEL in caret
 * notation (ESC is ^[, BEL ^G, CR ^M, DEL ^?), the others as <U+XXXX>. The result holds no
 * character a terminal interprets, so a sandbox's OSC 52 clipboard write or screen clear is
 * shown, never performed. Use it for everything printed on a terminal that a sandbox could have
 * written; JSON output keeps strings intact instead (see printJson).
 */
export function visible(s: string, opts: VisibleOptions = {}): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n' && opts.newlines) return c;
    if (c === '\t' && opts.tabs) return c;
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
    if (code === 0x7f) return '^?';
    return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
  });
}
