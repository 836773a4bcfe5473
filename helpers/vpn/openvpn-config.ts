// Reading .ovpn files: what we accept, what we refuse (anything that runs a program), what we need.
import { SandtrayError } from '../core/errors.js';

export interface OvpnDirective {
  name: string;
  args: string[];
  line: number;
}

export interface OvpnRemote {
  host: string;
  port: number | null;
  proto: string | null;
}

export interface OvpnConfig {
  directives: OvpnDirective[];
  /** Inline blocks by tag (ca, cert, key, tls-auth, ...), in order. */
  blocks: { tag: string; body: string }[];
  remotes: OvpnRemote[];
  proto: 'udp' | 'tcp';
  /** auth-user-pass present: the server wants a user name and password. */
  needsUserPass: boolean;
  /** The file named by auth-user-pass, if any (import moves its contents to the keyring). */
  authFile: string | null;
  /** The private key is encrypted: a passphrase is needed. */
  encryptedKey: boolean;
}

/** Directives that run programs or hand control to code outside OpenVPN: refused with their name. */
export const REFUSED_DIRECTIVES: Record<string, string> = {
  up: 'runs a script',
  down: 'runs a script',
  'route-up': 'runs a script',
  'route-pre-down': 'runs a script',
  ipchange: 'runs a script',
  'tls-verify': 'runs a script',
  'auth-user-pass-verify': 'runs a script (server side)',
  'client-connect': 'runs a script (server side)',
  'client-disconnect': 'runs a script (server side)',
  'learn-address': 'runs a script (server side)',
  plugin: 'loads a plugin',
  'script-security': 'allows scripts',
  iproute: 'replaces the ip command',
  config: 'includes another file',
  management: 'Sandtray runs the management interface itself',
  'management-client': 'Sandtray runs the management interface itself',
  'management-external-key': 'needs a management client that signs',
  'management-external-cert': 'needs a management client that signs',
  askpass: 'reads a passphrase from a file; Sandtray asks the keyring',
  'http-proxy-user-pass': 'reads credentials from a file',
  server: 'is a server directive; Sandtray runs OpenVPN clients',
  mode: 'is a server directive; Sandtray runs OpenVPN clients',
  'tls-server': 'is a server directive; Sandtray runs OpenVPN clients',
  daemon: 'Sandtray runs the client itself',
  chroot: 'Sandtray runs the client in its own namespaces',
  cd: 'Sandtray runs the client in its own namespaces',
  'dev-node': 'names a device node of the host',
  'tmp-dir': 'names a folder of the host',
  writepid: 'writes a file on the host',
  'log': 'the client log is the sandbox log',
  'log-append': 'the client log is the sandbox log',
  status: 'writes a file on the host',
  syslog: 'the client log is the sandbox log',
};

/** Directives Sandtray sets itself or that make no sense in a sandbox: dropped, with a note. */
export const DROPPED_DIRECTIVES = new Set(['user', 'group', 'persist-tun', 'block-outside-dns', 'register-dns', 'route-method', 'route-delay', 'ip-win32', 'dhcp-renew', 'dhcp-release', 'win-sys', 'ifconfig-noexec', 'route-noexec', 'disable-dco', 'dev-type', 'dev']);

const INLINE_TAGS = new Set(['ca', 'cert', 'key', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'pkcs12', 'secret', 'extra-certs', 'crl-verify', 'dh', 'connection', 'auth-user-pass', 'http-proxy-user-pass']);

/** Splits one line the way OpenVPN does: whitespace, "double" and 'single' quotes, backslash escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inTok = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inTok = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inTok = true;
    } else if (/\s/.test(c)) {
      if (inTok) out.push(cur);
      cur = '';
      inTok = false;
    } else if ((c === '#' || c === ';') && !inTok) {
      break;
    } else {
      cur += c;
      inTok = true;
    }
  }
  if (quote) throw new Error('unterminated quote');
  if (inTok) out.push(cur);
  return out;
}

function bad(file: string, message: string, hint?: string): SandtrayError {
  return new SandtrayError('VPN', `${file}: ${message}`, hint ?? 'Edit the configuration, then import it again.');
}

/** Parses .ovpn text; throws VPN naming every refused directive. */
export function parseOvpn(text: string, file = 'the OpenVPN configuration'): OvpnConfig {
  const directives: OvpnDirective[] = [];
  const blocks: { tag: string; body: string }[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const refused: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const open = /^<([a-z0-9-]+)>$/.exec(raw);
    if (open) {
      const tag = open[1]!;
      if (!INLINE_TAGS.has(tag)) throw bad(file, `line ${i + 1}: unknown inline block <${tag}>`);
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && lines[j]!.trim() !== `</${tag}>`; j++) body.push(lines[j]!);
      if (j >= lines.length) throw bad(file, `line ${i + 1}: <${tag}> is never closed`);
      if (tag === 'http-proxy-user-pass') refused.push(`<${tag}> (${REFUSED_DIRECTIVES['http-proxy-user-pass']})`);
      if (tag === 'connection') {
        // A <connection> holds directives of its own; check them like top-level ones.
        const inner = parseOvpn(body.join('\n'), `${file} <connection> at line ${i + 1}`);
        for (const r of inner.remotes) directives.push({ name: 'remote', args: [r.host, ...(r.port ? [String(r.port)] : []), ...(r.proto ? [r.proto] : [])], line: i + 1 });
      }
      blocks.push({ tag, body: body.join('\n') + '\n' });
      i = j;
      continue;
    }
    let toks: string[];
    try {
      toks = tokenize(raw);
    } catch (err) {
      throw bad(file, `line ${i + 1}: ${(err as Error).message}`);
    }
    if (!toks.length) continue;
    const name = toks[0]!.replace(/^--/, '').toLowerCase();
    if (REFUSED_DIRECTIVES[name]) refused.push(`"${name}" at line ${i + 1} (${REFUSED_DIRECTIVES[name]})`);
    if (name === 'http-proxy' && toks.length > 3 && !['auto', 'auto-nct', 'basic', 'ntlm', 'digest'].includes(toks[3]!)) {
      refused.push(`"http-proxy" credentials file at line ${i + 1} (reads credentials from a file)`);
    }
    directives.push({ name, args: toks.slice(1), line: i + 1 });
  }
  if (refused.length) {
    throw bad(file, `Sandtray does not run configurations that start programs or write host files. Refused: ${refused.join('; ')}`, 'Remove those lines (scripts are not needed: Sandtray sets addresses, routes and DNS itself), then try again.');
  }
  const get = (n: string) => directives.filter((d) => d.name === n);
  for (const d of get('dev')) {
    if (d.args[0] && !d.args[0].startsWith('tun')) throw bad(file, `line ${d.line}: "dev ${d.args[0]}" is not supported; Sandtray runs layer-3 tunnels (dev tun)`);
  }
  for (const d of get('dev-type')) {
    if (d.args[0] !== 'tun') throw bad(file, `line ${d.line}: "dev-type ${d.args[0] ?? ''}" is not supported; Sandtray runs layer-3 tunnels (dev tun)`);
  }
  if (!directives.some((d) => d.name === 'client' || d.name === 'pull' || d.name === 'tls-client')) {
    throw bad(file, 'this is not a client configuration (no "client" or "pull" line)');
  }
  const protoArg = get('proto').at(-1)?.args[0] ?? 'udp';
  const proto = protoArg.startsWith('tcp') ? 'tcp' : 'udp';
  const defaultPort = Number(get('port').at(-1)?.args[0] ?? get('rport').at(-1)?.args[0] ?? 1194);
  const remotes: OvpnRemote[] = get('remote').map((d) => ({
    host: d.args[0] ?? '',
    port: d.args[1] ? Number(d.args[1]) : defaultPort,
    proto: d.args[2] ?? null,
  }));
  if (!remotes.length) throw bad(file, 'no "remote" line: the configuration does not say which server to connect to');
  for (const r of remotes) {
    if (!r.host || !Number.isInteger(r.port) || (r.port ?? 0) < 1 || (r.port ?? 0) > 65535) throw bad(file, `remote "${r.host} ${r.port ?? ''}" is not a host and port`);
    if (r.proto && !/^(udp|tcp)(4|6)?(-client)?$/.test(r.proto)) throw bad(file, `remote ${r.host}: unknown protocol "${r.proto}"`);
  }
  const aup = get('auth-user-pass').at(-1);
  const keyBlock = blocks.find((b) => b.tag === 'key')?.body ?? '';
  return {
    directives,
    blocks,
    remotes,
    proto,
    needsUserPass: Boolean(aup) || blocks.some((b) => b.tag === 'auth-user-pass'),
    authFile: aup?.args[0] ?? null,
    encryptedKey: /ENCRYPTED/.test(keyBlock),
  };
}

/** Quotes a word for an OpenVPN config line. */
export function ovpnQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Loopback names in `remote`: the host's loopback, which the uplink reaches through pasta. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The configuration the client runs: the user's directives minus dropped ones and credentials
 * files, loopback remotes pointed at the uplink's view of the host loopback, inline blocks kept.
 */
export function effectiveOvpn(cfg: OvpnConfig, hostLoopback: string): { text: string; notes: string[] } {
  const notes: string[] = [];
  const out: string[] = ['# Generated by Sandtray from the imported configuration; rewritten on every start.'];
  for (const d of cfg.directives) {
    if (DROPPED_DIRECTIVES.has(d.name)) {
      if (!['dev', 'dev-type', 'persist-tun'].includes(d.name)) notes.push(`"${d.name}" (line ${d.line}) is ignored in a sandbox`);
      continue;
    }
    if (d.name === 'auth-user-pass') {
      // Without a file OpenVPN asks the management interface, which Sandtray answers from the keyring.
      out.push('auth-user-pass');
      continue;
    }
    if (d.name === 'remote' && isLoopbackHost(d.args[0] ?? '')) {
      out.push(['remote', hostLoopback, ...d.args.slice(1)].map(ovpnQuote).join(' '));
      continue;
    }
    out.push([d.name, ...d.args].map(ovpnQuote).join(' '));
  }
  for (const b of cfg.blocks) {
    if (b.tag === 'auth-user-pass' || b.tag === 'connection') continue;
    out.push(`<${b.tag}>`, b.body.trimEnd(), `</${b.tag}>`);
  }
  return { text: out.join('\n') + '\n', notes };
}
