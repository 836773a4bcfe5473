// The engine's verdict on a VPN file: every option kept, rewritten, dropped (with the reason) or
// refused (with the line and the reason), the files it read, and what a start will need. The CLI
// prints it, the desktop's file sheet shows it; neither reads a VPN file itself.
import { SandtrayError } from '../core/errors.js';

/** One option of the file and what became of it. `line` is null for what concerns the whole file. */
export interface VerdictItem {
  line: number | null;
  /** The option as the file names it: `ca`, `<tls-auth>`, `plugin (setenv opt)`, `PostUp`. */
  option: string;
  reason: string;
}

export interface VpnNeeds {
  /** The server asks for a user name and a password (OpenVPN auth-user-pass). */
  username: boolean;
  password: boolean;
  /** A one-time code asked at every start (OpenVPN static-challenge): its prompt, and whether to echo it. */
  challenge?: { text: string; echo: boolean };
  /** The private key is encrypted: its passphrase. */
  keyPassphrase?: boolean;
  /** A WireGuard file without its PrivateKey. */
  privateKey?: boolean;
}

export interface VpnVerdict {
  kept: { line: number; option: string }[];
  rewritten: VerdictItem[];
  dropped: VerdictItem[];
  refused: VerdictItem[];
  /** Real paths of the files the configuration named and the engine read (besides the file itself). */
  filesRead: string[];
  needs: VpnNeeds;
}

export function emptyVerdict(): VpnVerdict {
  return { kept: [], rewritten: [], dropped: [], refused: [], filesRead: [], needs: { username: false, password: false } };
}

const at = (i: VerdictItem): string => (i.line === null ? i.option : `${i.option} (line ${i.line})`);

/** Items with the same reason on one line: `up (line 3), down (line 4): the reason`. */
export function groupedItems(items: readonly VerdictItem[]): string[] {
  const byReason = new Map<string, VerdictItem[]>();
  for (const i of items) byReason.set(i.reason, [...(byReason.get(i.reason) ?? []), i]);
  return [...byReason].map(([reason, list]) => `${list.map(at).join(', ')}: ${reason}`);
}

/** The refused items, one per line, for an error message. */
export function refusedLines(v: VpnVerdict): string[] {
  return v.refused.map((i) => (i.line === null ? i.reason : `"${i.option}" at line ${i.line}: ${i.reason}`));
}

/**
 * The reader says where credentials go with the default store, the keyring. With the file store
 * the user chose (--store file), the same sentences name it instead, so no line promises a keyring
 * that is not used.
 */
const FILE_STORE_WORDS: [RegExp, string][] = [
  [/\bmoves to the keyring\b/g, 'moves to a 0600 file in the file store you chose (--store file), not a keyring'],
  [/\bmove to the keyring\b/g, 'move to 0600 files in the file store you chose (--store file), not a keyring'],
  [/\(keyring, or at the terminal\)/g, '(from the file store you chose, or at the terminal)'],
];

/** The verdict as it reads for the store the user chose (see FILE_STORE_WORDS). */
export function verdictForStore(v: VpnVerdict, store: 'keyring' | 'file'): VpnVerdict {
  if (store === 'keyring') return v;
  const say = (i: VerdictItem): VerdictItem => ({ ...i, reason: FILE_STORE_WORDS.reduce((r, [re, w]) => r.replace(re, w), i.reason) });
  return { ...v, rewritten: v.rewritten.map(say), dropped: v.dropped.map(say), refused: v.refused.map(say) };
}

/** What the user should read after an import or before one, one sentence per line, for the store chosen. */
export function verdictLines(verdict: VpnVerdict, store: 'keyring' | 'file' = 'keyring'): string[] {
  const v = verdictForStore(verdict, store);
  const out: string[] = [];
  if (v.filesRead.length) out.push(`read: ${v.filesRead.join(', ')}`);
  for (const l of groupedItems(v.rewritten)) out.push(`rewritten: ${l}`);
  for (const l of groupedItems(v.dropped)) out.push(`dropped: ${l}`);
  for (const l of refusedLines(v)) out.push(`refused: ${l}`);
  if (v.needs.challenge) out.push(`it asks for a one-time code at every start ("${v.needs.challenge.text}"), sent as OpenVPN's static-challenge response`);
  return out;
}

/** The error for a refused file: every refused option with its line and reason. */
export function refusedError(file: string, v: VpnVerdict, hint: string): SandtrayError {
  return new SandtrayError('VPN', `${file}: Sandtray does not accept this configuration:\n${refusedLines(v).map((l) => `  ${l}`).join('\n')}`, hint);
}
