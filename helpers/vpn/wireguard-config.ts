// Reading wg-quick .conf files: [Interface] and [Peer] sections; hooks that run programs are refused.
import { SandtrayError } from '../core/errors.js';

export interface WgPeer {
  publicKey: string;
  /** Base64 key from the file, "keyring" when it is kept in the keyring, or null. */
  presharedKey: string | null;
  endpoint: { host: string; port: number } | null;
  allowedIps: string[];
  persistentKeepalive: number | null;
}

export interface WgConfig {
  /** Base64 private key from the file, or null when it is kept in the keyring. */
  privateKey: string | null;
  addresses: string[];
  dns: string[];
  searchDomains: string[];
  mtu: number | null;
  listenPort: number | null;
  peers: WgPeer[];
}

const REFUSED = new Set(['preup', 'postup', 'predown', 'postdown']);
const KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/;
const IGNORED = new Set(['table', 'fwmark', 'saveconfig']);

/** True for a base64 WireGuard key (32 bytes). */
export function isWgKey(s: string): boolean {
  return KEY_RE.test(s);
}

function bad(file: string, message: string, hint?: string): SandtrayError {
  return new SandtrayError('VPN', `${file}: ${message}`, hint ?? 'Edit the configuration, then import it again.');
}

/** An IPv4 or IPv6 address with an optional /prefix. */
export function isCidr(s: string): boolean {
  const [addr, bits, more] = s.split('/');
  if (more !== undefined || !addr) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255) && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 32));
  if (/^[0-9a-fA-F:]+$/.test(addr) && addr.includes(':')) return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 128);
  return false;
}

function parseEndpoint(v: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}

/** Parses wg-quick text; every problem names its line. */
export function parseWgQuick(text: string, file = 'the WireGuard configuration'): WgConfig {
  const cfg: WgConfig = { privateKey: null, addresses: [], dns: [], searchDomains: [], mtu: null, listenPort: null, peers: [] };
  let section: 'interface' | 'peer' | null = null;
  let sawInterface = false;
  const refused: string[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  lines.forEach((rawLine, i) => {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (!line) return;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) {
      const s = sec[1]!.toLowerCase();
      if (s === 'interface') {
        if (sawInterface) throw bad(file, `line ${i + 1}: a second [Interface] section`);
        sawInterface = true;
        section = 'interface';
      } else if (s === 'peer') {
        section = 'peer';
        cfg.peers.push({ publicKey: '', presharedKey: null, endpoint: null, allowedIps: [], persistentKeepalive: null });
      } else throw bad(file, `line ${i + 1}: unknown section [${sec[1]}]`);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw bad(file, `line ${i + 1}: expected "Key = Value"`);
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    const list = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (REFUSED.has(key)) {
      refused.push(`"${line.slice(0, eq).trim()}" at line ${i + 1} (runs a program)`);
      return;
    }
    if (section === 'interface') {
      switch (key) {
        case 'privatekey':
          if (!isWgKey(value)) throw bad(file, `line ${i + 1}: PrivateKey is not a WireGuard key`);
          cfg.privateKey = value;
          break;
        case 'address':
          for (const a of list) if (!isCidr(a)) throw bad(file, `line ${i + 1}: Address "${a}" is not an address/prefix`);
          cfg.addresses.push(...list);
          break;
        case 'dns':
          for (const d of list) (isCidr(d) && !d.includes('/') ? cfg.dns : cfg.searchDomains).push(d);
          break;
        case 'mtu':
          cfg.mtu = Number(value);
          if (!Number.isInteger(cfg.mtu) || cfg.mtu < 576 || cfg.mtu > 9000) throw bad(file, `line ${i + 1}: MTU ${value} is out of range`);
          break;
        case 'listenport':
          cfg.listenPort = Number(value);
          if (!Number.isInteger(cfg.listenPort) || cfg.listenPort < 0 || cfg.listenPort > 65535) throw bad(file, `line ${i + 1}: ListenPort ${value} is not a port`);
          break;
        default:
          if (!IGNORED.has(key)) throw bad(file, `line ${i + 1}: unknown [Interface] key "${line.slice(0, eq).trim()}"`);
      }
      return;
    }
    if (section === 'peer') {
      const peer = cfg.peers[cfg.peers.length - 1]!;
      switch (key) {
        case 'publickey':
          if (!isWgKey(value)) throw bad(file, `line ${i + 1}: PublicKey is not a WireGuard key`);
          peer.publicKey = value;
          break;
        case 'presharedkey':
          if (value !== 'keyring' && !isWgKey(value)) throw bad(file, `line ${i + 1}: PresharedKey is not a WireGuard key`);
          peer.presharedKey = value;
          break;
        case 'endpoint':
          peer.endpoint = parseEndpoint(value);
          if (!peer.endpoint) throw bad(file, `line ${i + 1}: Endpoint "${value}" is not HOST:PORT`);
          break;
        case 'allowedips':
          for (const a of list) if (!isCidr(a)) throw bad(file, `line ${i + 1}: AllowedIPs "${a}" is not an address/prefix`);
          peer.allowedIps.push(...list);
          break;
        case 'persistentkeepalive':
          peer.persistentKeepalive = value === 'off' ? null : Number(value);
          if (peer.persistentKeepalive !== null && (!Number.isInteger(peer.persistentKeepalive) || peer.persistentKeepalive < 0 || peer.persistentKeepalive > 65535)) throw bad(file, `line ${i + 1}: PersistentKeepalive ${value} is out of range`);
          break;
        default:
          throw bad(file, `line ${i + 1}: unknown [Peer] key "${line.slice(0, eq).trim()}"`);
      }
      return;
    }
    throw bad(file, `line ${i + 1}: "${line.slice(0, eq).trim()}" outside a section`);
  });
  if (refused.length) throw bad(file, `Sandtray does not run configurations that start programs. Refused: ${refused.join('; ')}`, 'Remove those lines (Sandtray sets addresses, routes and DNS itself), then try again.');
  if (!sawInterface) throw bad(file, 'no [Interface] section');
  if (!cfg.addresses.length) throw bad(file, '[Interface] has no Address');
  if (!cfg.peers.length) throw bad(file, 'no [Peer] section');
  cfg.peers.forEach((p, i) => {
    if (!p.publicKey) throw bad(file, `[Peer] number ${i + 1} has no PublicKey`);
    if (!p.allowedIps.length) throw bad(file, `[Peer] number ${i + 1} has no AllowedIPs`);
  });
  return cfg;
}

/** wg-quick text without private and preshared keys, which are kept in the keyring. */
export function formatWgQuick(cfg: WgConfig): string {
  const out = ['[Interface]', '# PrivateKey is kept in the keyring: sandtray secret set NAME private-key'];
  out.push(`Address = ${cfg.addresses.join(', ')}`);
  if (cfg.dns.length || cfg.searchDomains.length) out.push(`DNS = ${[...cfg.dns, ...cfg.searchDomains].join(', ')}`);
  if (cfg.mtu) out.push(`MTU = ${cfg.mtu}`);
  if (cfg.listenPort) out.push(`ListenPort = ${cfg.listenPort}`);
  for (const p of cfg.peers) {
    out.push('', '[Peer]', `PublicKey = ${p.publicKey}`);
    if (p.presharedKey) out.push('PresharedKey = keyring');
    if (p.endpoint) out.push(`Endpoint = ${p.endpoint.host.includes(':') ? `[${p.endpoint.host}]` : p.endpoint.host}:${p.endpoint.port}`);
    out.push(`AllowedIPs = ${p.allowedIps.join(', ')}`);
    if (p.persistentKeepalive) out.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
  }
  return out.join('\n') + '\n';
}
