// Reading .ovpn files as OpenVPN reads them (words, quotes, `setenv opt`, inline blocks that end
// where OpenVPN ends them, <connection> blocks), classifying every option with the allowlist in
// openvpn-options.ts, and writing back only what was kept: the client never sees a line of the
// user's file, only Sandtray's own rendering of the options it accepted.
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import {
  BLOCK_PIECE_BYTES, DNS_HELPERS, ENGINE_REASON, inlineSpec, isSpace, MAX_LINE_BYTES, OPENVPN_OPTIONS, ovpnQuote, REMOVED_OPTIONS,
  setenvDropReason, setenvKept, tokenize, type OptionSpec,
} from './openvpn-options.js';
import { emptyVerdict, refusedError, type VerdictItem, type VpnVerdict } from './verdict.js';

export { ovpnQuote, tokenize } from './openvpn-options.js';

export interface OvpnDirective {
  name: string;
  args: string[];
  line: number;
}

/** What the client runs, in the file's order: options, inline data blocks, <connection> blocks. */
export type OvpnEntry =
  | { kind: 'option'; name: string; args: string[]; line: number }
  | { kind: 'inline'; tag: string; body: string; line: number }
  | { kind: 'connection'; line: number; entries: OvpnEntry[] };

export interface OvpnRemote {
  host: string;
  port: number | null;
  proto: string | null;
}

/** Secrets the file held (an auth-user-pass file or block, an askpass file): import moves them to the keyring. */
export interface OvpnCredentials {
  username?: string;
  password?: string;
  keyPassphrase?: string;
}

export interface OvpnConfig {
  entries: OvpnEntry[];
  /** The kept options outside <connection> blocks, in order (routes, DNS and filters are read from these). */
  directives: OvpnDirective[];
  /**
   * Inline data blocks outside <connection> blocks. When the file gave a user name and password
   * (an auth-user-pass file or an <auth-user-pass> block) they are here as an `auth-user-pass`
   * block, which is never written to the client's configuration.
   */
  blocks: { tag: string; body: string }[];
  /** The servers: the <connection> blocks' when there are any (OpenVPN then ignores other remote lines). */
  remotes: OvpnRemote[];
  proto: 'udp' | 'tcp';
  /** auth-user-pass present: the server wants a user name and password. */
  needsUserPass: boolean;
  /** The file auth-user-pass named, if any (read at import; its contents move to the keyring). */
  authFile: string | null;
  /** The private key is encrypted: a passphrase is needed. */
  encryptedKey: boolean;
  /** static-challenge: a one-time code to ask at every start, sent as the static-challenge response. */
  challenge: { text: string; echo: boolean } | null;
  credentials: OvpnCredentials;
  verdict: VpnVerdict;
}

export interface ReadOptions {
  /** The file's path, for messages. */
  file?: string;
  /** The configuration's folder: files it names are read from here only. Null: no file is read. */
  dir?: string | null;
}

const CLIENT_PROTOS = new Set(['udp', 'udp4', 'udp6', 'tcp', 'tcp4', 'tcp6', 'tcp-client', 'tcp4-client', 'tcp6-client']);
const SERVER_PROTOS = new Set(['tcp-server', 'tcp4-server', 'tcp6-server']);
const MAX_NAMED_FILE = 1024 * 1024;
const R_SCRIPT = 'runs a program on your computer';

/** Leading whitespace as OpenVPN skips it before comparing a line with a block's end tag. */
function skipSpace(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length && isSpace(String.fromCharCode(b[i]!)) && b[i] !== 0) i++;
  return b.subarray(i);
}

/**
 * Whether OpenVPN ends an inline block at this line: it reads a block in pieces of 255 bytes and
 * ends it at the first piece that begins (after whitespace) with the end tag, a prefix comparison.
 * 'split' when a later piece of a long line would end it: a place Sandtray refuses to guess at.
 */
export function endsBlock(line: string, tag: string): 'yes' | 'no' | 'split' {
  const close = Buffer.from(`</${tag}>`);
  const buf = Buffer.from(`${line}\n`);
  for (let off = 0; off < buf.length; off += BLOCK_PIECE_BYTES) {
    const piece = skipSpace(buf.subarray(off, off + BLOCK_PIECE_BYTES));
    if (piece.subarray(0, close.length).equals(close)) return off === 0 ? 'yes' : 'split';
  }
  return 'no';
}

/** A line of a block body that OpenVPN would take for the end of a block named tag, or null. */
function bodyEndsBlock(body: string, tag: string): number | null {
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) if (endsBlock(lines[i]!, tag) !== 'no') return i;
  return null;
}

const bytes = (s: string): number => Buffer.byteLength(s);

/** The option's line as Sandtray writes it. */
function optionLine(name: string, args: readonly string[]): string {
  return [name, ...args].map(ovpnQuote).join(' ');
}

class Reader {
  readonly verdict: VpnVerdict = emptyVerdict();
  readonly credentials: OvpnCredentials = {};
  private readonly realDir: string | null;
  private readonly ignoreUnknown = new Set<string>();
  private readonly scriptSecurity: number[] = [];
  private dnsHelpers = 0;
  private devs: { line: number; name: string }[] = [];
  private devTypeTun = false;
  private inlineRefs: { line: number; option: string }[] = [];
  private readonly files = new Set<string>();
  authFile: string | null = null;
  challenge: { text: string; echo: boolean; line: number } | null = null;
  /** The remote port and protocol outside <connection> blocks so far (a block inherits them where it stands). */
  top: { port: number | null; proto: string | null } = { port: null, proto: null };
  connections: { line: number; remote: OvpnRemote }[] = [];

  constructor(private readonly opts: ReadOptions) {
    let real: string | null = null;
    if (opts.dir) {
      try {
        real = fs.realpathSync(opts.dir);
      } catch {
        real = null;
      }
    }
    this.realDir = real;
  }

  refuse(line: number | null, option: string, reason: string): void {
    this.verdict.refused.push({ line, option, reason });
  }

  drop(line: number | null, option: string, reason: string): void {
    this.verdict.dropped.push({ line, option, reason });
  }

  rewrite(line: number | null, option: string, reason: string): void {
    this.verdict.rewritten.push({ line, option, reason });
  }

  /**
   * Reads a file the configuration names: only from the configuration's own folder (symlinks
   * resolved, the opened file checked again through /proc), a regular file of at most 1 MiB.
   */
  readNamed(arg: string, line: number, option: string, block: string): Buffer | null {
    if (!this.opts.dir) {
      this.refuse(line, option, `names the file ${arg}; Sandtray reads named files only from the folder of a configuration it opens as a file`);
      return null;
    }
    if (!this.realDir) {
      this.refuse(line, option, `names the file ${arg}, but the configuration's folder ${this.opts.dir} cannot be read`);
      return null;
    }
    let target = arg;
    const windows = /^[A-Za-z]:[\\/]/.test(arg) || arg.includes('\\');
    if (windows) target = arg.split(/[\\/]/).pop() ?? arg;
    const resolved = path.resolve(this.opts.dir, target);
    const fix = `copy it next to the configuration (into ${this.realDir}) and name it by its file name (${option} ${path.basename(target)}), or paste it into a <${block}> block`;
    let real: string;
    try {
      real = fs.realpathSync(resolved);
    } catch {
      this.refuse(line, option, windows
        ? `names the Windows path ${arg}; there is no ${path.basename(target)} next to the configuration: ${fix}`
        : `names ${arg}, which does not exist (${resolved}): ${fix}`);
      return null;
    }
    if (path.dirname(real) !== this.realDir) {
      this.refuse(line, option, `names ${arg}, which is ${real}, outside the configuration's folder ${this.realDir}: ${fix}`);
      return null;
    }
    let fd: number;
    try {
      fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (err) {
      this.refuse(line, option, `names ${arg} (${real}), which cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return null;
    }
    try {
      const st = fs.fstatSync(fd);
      let opened = real;
      try {
        opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        // no /proc: the realpath check above stands
      }
      if (path.dirname(opened) !== this.realDir) {
        this.refuse(line, option, `names ${arg}, which changed while it was read (now ${opened})`);
        return null;
      }
      if (!st.isFile()) {
        this.refuse(line, option, `names ${arg} (${real}), which is not a regular file`);
        return null;
      }
      if (st.size > MAX_NAMED_FILE) {
        this.refuse(line, option, `names ${arg} (${real}), which is larger than 1 MiB`);
        return null;
      }
      const data = fs.readFileSync(fd);
      if (!this.files.has(real)) {
        this.files.add(real);
        this.verdict.filesRead.push(real);
      }
      if (windows) this.rewrite(line, option, `the Windows path ${arg} is read as ${path.basename(real)} next to the configuration`);
      return data;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A named file's text for an inline block, checked so that OpenVPN reads it as one block. */
  namedText(arg: string, line: number, option: string, block: string, binary: boolean): string | null {
    const data = this.readNamed(arg, line, option, block);
    if (!data) return null;
    if (binary) return data.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      this.refuse(line, option, `names ${arg}, which is not text (UTF-8)`);
      return null;
    }
    if (text.includes('\0')) {
      this.refuse(line, option, `names ${arg}, which is not text (it holds NUL bytes)`);
      return null;
    }
    text = text.replace(/\r\n/g, '\n');
    if (!text.endsWith('\n')) text += '\n';
    const bad = bodyEndsBlock(text.replace(/\n$/, ''), block);
    if (bad !== null) {
      this.refuse(line, option, `names ${arg}, whose line ${bad + 1} OpenVPN would read as the end of the <${block}> block`);
      return null;
    }
    return text;
  }

  /** Reads lines (of the file, or of a <connection> block) into entries. */
  readLines(lines: readonly string[], first: number, inConnection: boolean): OvpnEntry[] {
    const entries: OvpnEntry[] = [];
    for (let i = 0; i < lines.length; i++) {
      const no = first + i;
      const raw = lines[i]!;
      let words: string[];
      try {
        words = tokenize(raw);
      } catch (err) {
        this.refuse(no, raw.trim().split(/\s+/)[0] || '(line)', `OpenVPN cannot read this line: ${(err as Error).message}`);
        continue;
      }
      // Comments and blank lines are never written out, whatever their length.
      if (!words.length) continue;
      if (bytes(raw) > MAX_LINE_BYTES) {
        this.refuse(no, words[0]!, `the line is longer than the ${MAX_LINE_BYTES} bytes OpenVPN reads as one line (it would stop, or read the rest as another option)`);
        continue;
      }
      if (words[0]!.length >= 3 && words[0]!.startsWith('--')) words[0] = words[0]!.slice(2);
      const w0 = words[0]!;
      if (words.length === 1 && w0.length >= 2 && w0.startsWith('<') && w0.endsWith('>')) {
        const tag = w0.slice(1, -1);
        if (tag.startsWith('/')) {
          this.refuse(no, w0, `a stray end tag: OpenVPN reads it as the start of a block named ${tag}`);
          continue;
        }
        // The block runs to the first line that begins with the end tag, as OpenVPN reads it.
        let j = i + 1;
        let split = false;
        for (; j < lines.length; j++) {
          const e = endsBlock(lines[j]!, tag);
          if (e === 'yes') break;
          if (e === 'split') {
            split = true;
            break;
          }
        }
        if (split) {
          this.refuse(first + j, `<${tag}>`, `a line longer than ${BLOCK_PIECE_BYTES} bytes in the block holds </${tag}> where OpenVPN would end the block in the middle of the line`);
          return entries;
        }
        if (j >= lines.length) {
          this.refuse(no, `<${tag}>`, `the block is never closed (no line beginning with </${tag}>)`);
          return entries;
        }
        const closing = lines[j]!;
        if (bytes(closing) > MAX_LINE_BYTES) {
          this.refuse(first + j, `</${tag}>`, `the line is longer than the ${MAX_LINE_BYTES} bytes OpenVPN reads as one line: it would read the rest of it as another option`);
          return entries;
        }
        const after = closing.replace(/^[ \t\v\f\r]*/, '').slice(tag.length + 3);
        if (after.trim()) this.drop(first + j, `</${tag}>`, `the text after </${tag}> on this line is ignored, as OpenVPN ignores it`);
        const body = lines.slice(i + 1, j).map((l) => l.replace(/\r$/, ''));
        entries.push(...this.inline(tag, body, no, inConnection));
        i = j;
        continue;
      }
      let name = w0;
      let args = words.slice(1);
      let via = '';
      if (name === 'setenv' && args[0] === 'opt') {
        // OpenVPN reads `setenv opt X ...` as option X (and only warns when it does not know X).
        if (!args[1]) {
          this.drop(no, 'setenv opt', 'names no option; OpenVPN ignores it');
          continue;
        }
        name = args[1];
        args = args.slice(2);
        via = ' (setenv opt)';
      }
      const got = this.option(name, args, no, inConnection, via);
      entries.push(...got);
      // A <connection> block inherits the remote port where it stands.
      if (!inConnection && got.length && (name === 'port' || name === 'rport')) this.top.port = Number(args[0]);
    }
    return entries;
  }

  /** One option line: what it becomes. */
  option(name: string, args: string[], no: number, inConnection: boolean, via: string): OvpnEntry[] {
    const label = `${name}${via}`;
    const spec: OptionSpec | undefined = Object.hasOwn(OPENVPN_OPTIONS, name) ? OPENVPN_OPTIONS[name] : undefined;
    if (!spec) {
      const removed = Object.hasOwn(REMOVED_OPTIONS, name) ? REMOVED_OPTIONS[name] : undefined;
      if (removed) {
        if (removed.class === 'drop' || via) this.drop(no, label, removed.reason);
        else this.refuse(no, label, removed.reason);
      } else if (name === 'key-method') {
        if (args[0] === '2' || via) this.drop(no, label, 'removed in OpenVPN 2.5 (the client would stop on it): method 2 is the only one');
        else this.refuse(no, label, 'removed in OpenVPN 2.5: only key method 2 exists; the server needs a newer configuration');
      } else if (via) {
        this.drop(no, label, 'OpenVPN 2.6 does not know this option and skips it, as `setenv opt` tells it to');
      } else if (this.ignoreUnknown.has(name)) {
        this.drop(no, label, 'OpenVPN 2.6 does not know this option and skips it, as ignore-unknown-option tells it to');
      } else {
        this.refuse(no, label, 'OpenVPN 2.6 does not know this option');
      }
      return [];
    }
    if (args.length < spec.min || args.length > spec.max) {
      const want = spec.min === spec.max ? `${spec.min}` : spec.max >= 64 ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`;
      if (via) this.drop(no, label, `OpenVPN skips it: it takes ${want} parameter(s), not ${args.length}`);
      else this.refuse(no, label, `takes ${want} parameter(s), not ${args.length} (OpenVPN stops on it)`);
      return [];
    }
    if (inConnection && !spec.connection && !['engine', 'drop', 'refuse'].includes(spec.class)) {
      this.refuse(no, label, 'is not allowed inside a <connection> block (OpenVPN stops on it); move it outside the block');
      return [];
    }
    switch (spec.class) {
      case 'refuse':
        this.refuse(no, label, spec.reason!);
        return [];
      case 'engine':
      case 'drop':
        this.drop(no, label, spec.reason!);
        return [];
      case 'file':
        return this.fileOption(name, args, no, label);
      case 'special':
        return this.special(name, args, no, inConnection, label, via);
      default:
        return this.keep(name, args, no, label);
    }
  }

  keep(name: string, args: string[], no: number, label = name): OvpnEntry[] {
    if (bytes(optionLine(name, args)) > MAX_LINE_BYTES) {
      this.refuse(no, label, `is longer than the ${MAX_LINE_BYTES} bytes OpenVPN reads as one line once written out`);
      return [];
    }
    this.verdict.kept.push({ line: no, option: label });
    return [{ kind: 'option', name, args, line: no }];
  }

  fileOption(name: string, args: string[], no: number, label: string): OvpnEntry[] {
    const arg = args[0]!;
    if (name === 'crl-verify' && args[1] !== undefined) {
      this.refuse(no, label, args[1] === 'dir'
        ? 'names a folder of revocation lists on your computer; put one CRL file next to the configuration instead'
        : `the second parameter can only be "dir" (OpenVPN stops on it)`);
      return [];
    }
    if ((name === 'tls-crypt' || name === 'tls-crypt-v2') && args[1] !== undefined) {
      this.refuse(no, label, `"${args[1]}" is a server setting`);
      return [];
    }
    if (arg === '[inline]' || arg === '[[INLINE]]') {
      this.inlineRefs.push({ line: no, option: name });
      this.drop(no, label, `the <${name}> block holds the data`);
      return [];
    }
    const text = this.namedText(arg, no, label, name, name === 'pkcs12');
    if (text === null) return [];
    const out: OvpnEntry[] = [{ kind: 'inline', tag: name, body: text, line: no }];
    if ((name === 'tls-auth' || name === 'secret') && args[1] !== undefined) out.push(...this.keep('key-direction', [args[1]], no, `${label} direction`));
    this.rewrite(no, label, `${arg} is copied into a <${name}> block`);
    return out;
  }

  special(name: string, args: string[], no: number, inConnection: boolean, label: string, via: string): OvpnEntry[] {
    const a = args[0] ?? '';
    switch (name) {
      case 'remote': {
        const port = args[1];
        const proto = args[2];
        if (!a) return this.refused(no, label, 'names no server');
        if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return this.refused(no, label, `"${port}" is not a port (1 to 65535)`);
        if (proto !== undefined && SERVER_PROTOS.has(proto)) return this.refused(no, label, `"${proto}" is a server protocol; Sandtray runs OpenVPN clients`);
        if (proto !== undefined && !CLIENT_PROTOS.has(proto)) return this.refused(no, label, `"${proto}" is not a protocol (udp, tcp, tcp-client, with 4 or 6)`);
        return this.keep(name, args, no, label);
      }
      case 'proto':
        if (SERVER_PROTOS.has(a)) return this.refused(no, label, `"${a}" is a server protocol; Sandtray runs OpenVPN clients`);
        if (!CLIENT_PROTOS.has(a)) return this.refused(no, label, `"${a}" is not a protocol (udp, tcp, tcp-client, with 4 or 6)`);
        if (!inConnection) this.top.proto = a;
        return this.keep(name, args, no, label);
      case 'http-proxy':
      case 'socks-proxy':
        if (args.length > 2) return this.refused(no, label, 'credentials for a proxy are not supported yet');
        return this.keep(name, args, no, label);
      case 'dev':
        if (a.startsWith('tap')) return this.refused(no, label, 'layer-2 (tap) tunnels are not supported; Sandtray runs layer-3 tunnels (dev tun)');
        if (a === 'null') return this.refused(no, label, '"dev null" makes no tunnel');
        if (!a.startsWith('tun')) this.devs.push({ line: no, name: a });
        this.drop(no, label, ENGINE_REASON);
        return [];
      case 'dev-type':
        if (a !== 'tun') return this.refused(no, label, a === 'tap' ? 'layer-2 (tap) tunnels are not supported; Sandtray runs layer-3 tunnels (dev tun)' : `"${a}" is not a device type`);
        this.devTypeTun = true;
        this.drop(no, label, ENGINE_REASON);
        return [];
      case 'script-security':
        this.scriptSecurity.push(no);
        return [];
      case 'up':
      case 'down': {
        if (args.length !== 1) return this.refused(no, label, 'takes one parameter, the command (OpenVPN stops on it)');
        const program = a.trim().split(/\s+/)[0] ?? '';
        if (DNS_HELPERS.has(path.basename(program))) {
          this.dnsHelpers++;
          this.drop(no, label, `${path.basename(program)} hands the VPN's DNS servers to your computer's resolver; Sandtray writes the sandbox's resolv.conf itself`);
          return [];
        }
        return this.refused(no, label, `${R_SCRIPT} (${program})`);
      }
      case 'setenv': {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) {
          this.drop(no, label, setenvDropReason(a));
          return [];
        }
        if (setenvKept(a)) return this.keep(name, args, no, `setenv ${a}`);
        this.drop(no, `setenv ${a}`, setenvDropReason(a));
        return [];
      }
      case 'ignore-unknown-option':
        for (const n of args) this.ignoreUnknown.add(n);
        this.drop(no, label, 'Sandtray reads every option itself; options OpenVPN 2.6 does not know are dropped where they appear');
        return [];
      case 'connection':
        return this.refused(no, label, 'a <connection> block must be written as a block, <connection> ... </connection>');
      case 'askpass': {
        if (!args.length || a === 'stdin') {
          this.drop(no, label, 'Sandtray asks for the private key\'s passphrase itself (keyring, or at the terminal)');
          return [];
        }
        const data = this.readNamed(a, no, label, 'key');
        if (!data) return [];
        const pass = data.toString('utf8').replace(/\r/g, '').split('\n')[0] ?? '';
        if (pass) this.credentials.keyPassphrase = pass;
        this.rewrite(no, label, `the passphrase in ${a} moves to the keyring`);
        return [];
      }
      case 'auth-user-pass': {
        if (args.length && a !== 'stdin') {
          this.authFile = a;
          const data = this.readNamed(a, no, label, 'auth-user-pass');
          if (!data) return [];
          const [u, p] = data.toString('utf8').replace(/\r/g, '').split('\n');
          if (u) this.credentials.username = u;
          if (p) this.credentials.password = p;
          this.rewrite(no, label, `the user name and password in ${a} move to the keyring; the configuration keeps a bare auth-user-pass`);
          return [{ kind: 'option', name: 'auth-user-pass', args: [], line: no }];
        }
        return this.keep(name, [], no, label);
      }
      case 'static-challenge':
        this.challenge = { text: a, echo: (Number.parseInt(args[1] ?? '0', 10) || 0) !== 0, line: no };
        return this.keep(name, args, no, label);
      case 'auth-retry':
        this.drop(no, label, a === 'interact'
          ? 'Sandtray stops after a refused password (auth-retry none); a server that asks a second question after the password (a dynamic challenge) is not supported yet'
          : ENGINE_REASON);
        return [];
      default:
        return this.refused(no, label, `OpenVPN 2.6 does not know this option${via}`);
    }
  }

  refused(no: number, label: string, reason: string): OvpnEntry[] {
    this.refuse(no, label, reason);
    return [];
  }

  /** An inline block <tag>...</tag> at line no. */
  inline(tag: string, body: string[], no: number, inConnection: boolean): OvpnEntry[] {
    const label = `<${tag}>`;
    const spec = inlineSpec(tag);
    if (!spec) return this.refused(no, label, 'an inline block OpenVPN 2.6 does not know');
    if (tag === 'connection') {
      if (inConnection) return this.refused(no, label, 'a <connection> block inside a <connection> block');
      const inner = this.readLines(body, no + 1, true);
      const remotes = inner.filter((e): e is Extract<OvpnEntry, { kind: 'option' }> => e.kind === 'option' && e.name === 'remote');
      if (remotes.length !== 1) return this.refused(no, label, `a <connection> block needs exactly one remote line, this one has ${remotes.length}`);
      const r = remotes[0]!;
      const own = (n: string) => inner.filter((e): e is Extract<OvpnEntry, { kind: 'option' }> => e.kind === 'option' && e.name === n).at(-1)?.args[0];
      const port = r.args[1] ?? own('rport') ?? own('port');
      const proto = r.args[2] ?? own('proto') ?? this.top.proto ?? 'udp';
      this.connections.push({ line: no, remote: { host: r.args[0]!, port: port ? Number(port) : this.top.port ?? 1194, proto } });
      this.verdict.kept.push({ line: no, option: label });
      return [{ kind: 'connection', line: no, entries: inner }];
    }
    if (inConnection && !spec.connection) return this.refused(no, label, 'is not allowed inside a <connection> block (OpenVPN stops on it); move it outside the block');
    if (spec.class === 'refuse') return this.refused(no, label, spec.reason!);
    if (spec.class === 'drop' || spec.class === 'engine') {
      this.drop(no, label, spec.reason!);
      return [];
    }
    if (inConnection && body.some((l) => bytes(l) > MAX_LINE_BYTES)) return this.refused(no, label, `a line inside a <connection> block is longer than the ${MAX_LINE_BYTES} bytes OpenVPN reads there`);
    const text = body.length ? `${body.join('\n')}\n` : '';
    if (tag === 'auth-user-pass') {
      const [u, p] = body;
      if (u) this.credentials.username = u;
      if (p) this.credentials.password = p;
      this.rewrite(no, label, 'the user name and password move to the keyring; the configuration keeps a bare auth-user-pass');
      return [{ kind: 'option', name: 'auth-user-pass', args: [], line: no }];
    }
    this.verdict.kept.push({ line: no, option: label });
    return [{ kind: 'inline', tag, body: text, line: no }];
  }

  /** Checks that need the whole file. */
  finish(entries: OvpnEntry[]): void {
    const top = entries.filter((e): e is Extract<OvpnEntry, { kind: 'option' }> => e.kind === 'option');
    const has = (n: string) => top.some((e) => e.name === n);
    if (!has('client') && !has('pull') && !has('tls-client')) this.refuse(null, 'client', 'this is not a client configuration (no client, pull or tls-client line)');
    for (const d of this.devs) {
      if (!this.devTypeTun) this.refuse(d.line, 'dev', `"dev ${d.name}" does not say tun or tap; add "dev-type tun" or write "dev tun"`);
    }
    for (const line of this.scriptSecurity) {
      this.drop(line, 'script-security', this.dnsHelpers
        ? 'only the DNS helper scripts needed it; Sandtray runs no scripts (script-security 0) and handles DNS itself'
        : ENGINE_REASON);
    }
    for (const r of this.inlineRefs) {
      if (!entries.some((e) => e.kind === 'inline' && e.tag === r.option)) this.refuse(r.line, r.option, `says [inline], but there is no <${r.option}> block`);
    }
    if (this.challenge && !has('auth-user-pass')) {
      const line = this.challenge.line;
      this.verdict.kept = this.verdict.kept.filter((k) => k.line !== line);
      this.drop(line, 'static-challenge', 'has no effect without auth-user-pass');
      this.challenge = null;
      const i = entries.findIndex((e) => e.kind === 'option' && e.name === 'static-challenge');
      if (i >= 0) entries.splice(i, 1);
    }
    if (this.connections.length) {
      for (const e of top) {
        if (e.name !== 'remote') continue;
        this.drop(e.line, 'remote', 'OpenVPN ignores remote lines outside <connection> blocks when the file has <connection> blocks');
        this.verdict.kept = this.verdict.kept.filter((k) => k.line !== e.line);
        entries.splice(entries.indexOf(e), 1);
      }
    }
  }
}

/** The remote port outside <connection> blocks: the last port or rport line. */
function lastPort(entries: readonly OvpnEntry[]): number | null {
  const p = entries.filter((e): e is Extract<OvpnEntry, { kind: 'option' }> => e.kind === 'option' && (e.name === 'port' || e.name === 'rport')).at(-1);
  return p ? Number(p.args[0]) : null;
}

/**
 * Reads .ovpn text: the configuration the client would run and the verdict on every option.
 * Never throws for what the file says; refusals are in verdict.refused.
 */
export function readOvpn(text: string, opts: ReadOptions = {}): OvpnConfig {
  const r = new Reader(opts);
  let body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.includes('\0')) {
    r.refuse(null, '(file)', 'the file holds NUL bytes: it is not a text configuration');
    body = '';
  }
  const lines = body.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const entries = r.readLines(lines, 1, false);
  r.finish(entries);
  // Remove duplicate bare auth-user-pass lines (a line and an <auth-user-pass> block both give one).
  let sawAuth = false;
  const deduped = entries.filter((e) => {
    if (e.kind !== 'option' || e.name !== 'auth-user-pass') return true;
    if (sawAuth) return false;
    sawAuth = true;
    return true;
  });
  const directives = deduped.filter((e): e is Extract<OvpnEntry, { kind: 'option' }> => e.kind === 'option').map((e) => ({ name: e.name, args: e.args, line: e.line }));
  const blocks = deduped.filter((e): e is Extract<OvpnEntry, { kind: 'inline' }> => e.kind === 'inline').map((e) => ({ tag: e.tag, body: e.body }));
  if (r.credentials.username && r.credentials.password) blocks.push({ tag: 'auth-user-pass', body: `${r.credentials.username ?? ''}\n${r.credentials.password ?? ''}\n` });
  const get = (n: string) => directives.filter((d) => d.name === n);
  const protoArg = get('proto').at(-1)?.args[0] ?? 'udp';
  const defaultPort = lastPort(deduped) ?? 1194;
  let remotes: OvpnRemote[];
  if (r.connections.length) remotes = r.connections.map((c) => c.remote);
  else remotes = get('remote').map((d) => ({ host: d.args[0]!, port: d.args[1] ? Number(d.args[1]) : defaultPort, proto: d.args[2] ?? null }));
  if (!remotes.length && !r.verdict.refused.some((i) => i.option === 'remote' || i.option.startsWith('<connection>'))) {
    r.refuse(null, 'remote', 'no remote line: the configuration does not say which server to connect to');
  }
  const needsUserPass = get('auth-user-pass').length > 0;
  const keyBlock = blocks.find((b) => b.tag === 'key')?.body ?? '';
  const encryptedKey = /ENCRYPTED/.test(keyBlock);
  r.verdict.needs = { username: needsUserPass, password: needsUserPass };
  if (r.challenge) r.verdict.needs.challenge = { text: r.challenge.text, echo: r.challenge.echo };
  if (encryptedKey) r.verdict.needs.keyPassphrase = true;
  return {
    entries: deduped,
    directives,
    blocks,
    remotes,
    proto: protoArg.startsWith('tcp') ? 'tcp' : 'udp',
    needsUserPass,
    authFile: r.authFile,
    encryptedKey,
    challenge: r.challenge ? { text: r.challenge.text, echo: r.challenge.echo } : null,
    credentials: r.credentials,
    verdict: r.verdict,
  };
}

/** The error for a refused OpenVPN file: every refused option with its line and reason. */
export function ovpnRefusedError(file: string, v: VpnVerdict): SandtrayError {
  return refusedError(file, v, 'Edit those lines (scripts are not needed: Sandtray sets addresses, routes and DNS itself), then try again.');
}

/** Parses .ovpn text; throws VPN naming every refused option with its line. */
export function parseOvpn(text: string, file = 'the OpenVPN configuration', dir: string | null = null): OvpnConfig {
  const cfg = readOvpn(text, { file, dir });
  if (cfg.verdict.refused.length) throw ovpnRefusedError(file, cfg.verdict);
  return cfg;
}

/** Loopback names in `remote`: the host's loopback, which the uplink reaches through pasta. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function writeEntries(entries: readonly OvpnEntry[], mapHost: (h: string) => string): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.kind === 'option') {
      const args = e.name === 'remote' && e.args[0] !== undefined ? [mapHost(e.args[0]), ...e.args.slice(1)] : e.args;
      out.push(optionLine(e.name, args));
    } else if (e.kind === 'inline') {
      // Every body was checked when it was read: no line of it ends the block early.
      if (bodyEndsBlock(e.body.replace(/\n$/, ''), e.tag) !== null) throw new SandtrayError('INTERNAL', `The <${e.tag}> block of line ${e.line} would end early`);
      out.push(`<${e.tag}>`, ...e.body.replace(/\n$/, '').split('\n').filter((l, i, all) => !(all.length === 1 && l === '')), `</${e.tag}>`);
    } else {
      out.push('<connection>', ...writeEntries(e.entries, mapHost), '</connection>');
    }
  }
  return out;
}

/** The stored copy an import writes: only what was kept, inline; credentials never. */
export function formatOvpn(cfg: OvpnConfig, store: 'keyring' | 'file' = 'keyring'): string {
  return [`# Imported by Sandtray: the options it kept; credentials are in ${store === 'file' ? "Sandtray's file store (0600 files, chosen with --store file)" : 'the keyring'}.`, ...writeEntries(cfg.entries, (h) => h)].join('\n') + '\n';
}

/**
 * The configuration the client runs: the kept options with every file inline (nothing outside
 * it is read), loopback remotes pointed at the uplink's view of the host's loopback. The notes
 * are what was dropped, for the sandbox log.
 */
export function effectiveOvpn(cfg: OvpnConfig, hostLoopback: string): { text: string; notes: string[] } {
  const text = ['# Generated by Sandtray from the imported configuration; rewritten on every start.', ...writeEntries(cfg.entries, (h) => (isLoopbackHost(h) ? hostLoopback : h))].join('\n') + '\n';
  const notes = cfg.verdict.dropped.map((d: VerdictItem) => `${d.option}${d.line === null ? '' : ` (line ${d.line})`} is not used: ${d.reason}`);
  return { text, notes };
}
