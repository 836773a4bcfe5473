// Shell quoting for the few places a command line must pass through sh -c (script(1)).

/** Quotes one word for /bin/sh. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
