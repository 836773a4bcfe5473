// Reading wg-quick .conf files: [Interface] and [Peer] sections, every key classified. Hooks that
// only build a host firewall kill switch are dropped (the sandbox is one by construction); any
// other hook runs a program and is refused.
import { SandtrayError } from '../core/errors.js';
import { emptyVerdict, refusedError, type VpnVerdict } from './verdict.js';

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
  verdict: VpnVerdict;
}

const KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/;
const HOOKS = new Set(['preup', 'postup', 'predown', 'postdown']);

/** True for a base64 WireGuard key (32 bytes). */
export function isWgKey(s: string): boolean {
  return KEY_RE.test(s);
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

/**
 * One command of the kill switch that wg-quick(8) documents and Mullvad's generator writes:
 * `iptables -I OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j REJECT`
 * (also ip6tables, -A or -D, -w, DROP). It rejects what leaves the host outside the tunnel.
 */
const KILL_SWITCH_RULE = /^(?:\/\S*\/)?ip6?tables(?:\s+-w(?:\s+\d+)?)?\s+-[IAD]\s+OUTPUT(?:\s+\d+)?\s+!\s+-o\s+%i\s+-m\s+mark\s+!\s+--mark\s+\$\(wg\s+show\s+%i\s+fwmark\)\s+-m\s+addrtype\s+!\s+--dst-type\s+LOCAL\s+-j\s+(?:REJECT|DROP)$/;

/** True when a hook's value only adds or removes that kill switch's rules. */
export function isKillSwitchHook(value: string): boolean {
  const commands = value.split(/&&|;/).map((c) => c.trim());
  return commands.length > 0 && commands.every((c) => KILL_SWITCH_RULE.test(c));
}

const KEPT_INTERFACE = new Set(['privatekey', 'address', 'dns', 'mtu', 'listenport']);
const KEPT_PEER = new Set(['publickey', 'presharedkey', 'endpoint', 'allowedips', 'persistentkeepalive']);

/** Reads wg-quick text; never throws for what the file says: refusals are in verdict.refused. */
export function readWgQuick(text: string): WgConfig {
  const verdict = emptyVerdict();
  const cfg: WgConfig = { privateKey: null, addresses: [], dns: [], searchDomains: [], mtu: null, listenPort: null, peers: [], verdict };
  const refuse = (line: number | null, option: string, reason: string) => verdict.refused.push({ line, option, reason });
  const drop = (line: number, option: string, reason: string) => verdict.dropped.push({ line, option, reason });
  let section: 'interface' | 'peer' | null = null;
  let sawInterface = false;
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).replace(/\r\n?/g, '\n').split('\n');
  lines.forEach((rawLine, i) => {
    const no = i + 1;
    const line = rawLine.replace(/#.*$/, '').trim();
    if (!line) return;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) {
      const s = sec[1]!.toLowerCase();
      if (s === 'interface') {
        if (sawInterface) refuse(no, '[Interface]', 'a second [Interface] section');
        sawInterface = true;
        section = 'interface';
      } else if (s === 'peer') {
        section = 'peer';
        cfg.peers.push({ publicKey: '', presharedKey: null, endpoint: null, allowedIps: [], persistentKeepalive: null });
      } else {
        section = null;
        refuse(no, `[${sec[1]}]`, 'an unknown section');
      }
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      refuse(no, line.slice(0, 30), 'expected "Key = Value"');
      return;
    }
    const name = line.slice(0, eq).trim();
    const key = name.toLowerCase();
    const value = line.slice(eq + 1).trim();
    const list = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (section === null) {
      refuse(no, name, 'outside a section');
      return;
    }
    if (HOOKS.has(key)) {
      if (section !== 'interface') refuse(no, name, 'belongs in [Interface]');
      else if (isKillSwitchHook(value)) drop(no, name, "a kill switch for your computer's firewall (iptables rules); the sandbox is a kill switch by construction: its only route is the tunnel");
      else refuse(no, name, `runs a program on your computer (${value.length > 60 ? `${value.slice(0, 60)}...` : value})`);
      return;
    }
    if (section === 'interface') {
      switch (key) {
        case 'privatekey':
          if (!isWgKey(value)) return refuse(no, name, 'is not a WireGuard key');
          cfg.privateKey = value;
          break;
        case 'address': {
          const bad = list.find((a) => !isCidr(a));
          if (bad) return refuse(no, name, `"${bad}" is not an address/prefix`);
          cfg.addresses.push(...list);
          break;
        }
        case 'dns':
          for (const d of list) (isCidr(d) && !d.includes('/') ? cfg.dns : cfg.searchDomains).push(d);
          break;
        case 'mtu':
          cfg.mtu = Number(value);
          if (!Number.isInteger(cfg.mtu) || cfg.mtu < 576 || cfg.mtu > 9000) return refuse(no, name, `${value} is out of range (576 to 9000)`);
          break;
        case 'listenport':
          cfg.listenPort = Number(value);
          if (!Number.isInteger(cfg.listenPort) || cfg.listenPort < 0 || cfg.listenPort > 65535) return refuse(no, name, `${value} is not a port`);
          break;
        case 'table':
          return drop(no, name, value.toLowerCase() === 'off'
            ? "wg-quick would add no routes; Sandtray routes the peers' AllowedIPs inside the sandbox, where nothing else exists"
            : "a routing table of your computer; Sandtray routes the peers' AllowedIPs inside the sandbox");
        case 'saveconfig':
          return drop(no, name, 'Sandtray never writes the configuration back');
        case 'fwmark':
          return drop(no, name, "a firewall mark for your computer's routing; the sandbox has only the tunnel");
        default:
          return refuse(no, name, 'an [Interface] key neither wg nor wg-quick knows');
      }
      if (KEPT_INTERFACE.has(key)) verdict.kept.push({ line: no, option: name });
      return;
    }
    const peer = cfg.peers[cfg.peers.length - 1]!;
    switch (key) {
      case 'publickey':
        if (!isWgKey(value)) return refuse(no, name, 'is not a WireGuard key');
        peer.publicKey = value;
        break;
      case 'presharedkey':
        if (value !== 'keyring' && !isWgKey(value)) return refuse(no, name, 'is not a WireGuard key');
        peer.presharedKey = value;
        break;
      case 'endpoint':
        peer.endpoint = parseEndpoint(value);
        if (!peer.endpoint) return refuse(no, name, `"${value}" is not HOST:PORT`);
        break;
      case 'allowedips': {
        const bad = list.find((a) => !isCidr(a));
        if (bad) return refuse(no, name, `"${bad}" is not an address/prefix`);
        peer.allowedIps.push(...list);
        break;
      }
      case 'persistentkeepalive':
        // wg's "off" is 0; both stay in the stored file, so the log can say the file turned it off.
        peer.persistentKeepalive = value === 'off' ? 0 : Number(value);
        if (peer.persistentKeepalive !== null && (!Number.isInteger(peer.persistentKeepalive) || peer.persistentKeepalive < 0 || peer.persistentKeepalive > 65535)) return refuse(no, name, `${value} is out of range`);
        break;
      default:
        return refuse(no, name, 'a [Peer] key wg does not know');
    }
    if (KEPT_PEER.has(key)) verdict.kept.push({ line: no, option: name });
  });
  if (!sawInterface) refuse(null, '[Interface]', 'no [Interface] section');
  else if (!cfg.addresses.length) refuse(null, 'Address', '[Interface] has no Address');
  if (!cfg.peers.length) refuse(null, '[Peer]', 'no [Peer] section');
  cfg.peers.forEach((p, i) => {
    if (!p.publicKey) refuse(null, 'PublicKey', `[Peer] number ${i + 1} has no PublicKey`);
    if (!p.allowedIps.length) refuse(null, 'AllowedIPs', `[Peer] number ${i + 1} has no AllowedIPs`);
  });
  verdict.needs = { username: false, password: false };
  if (!cfg.privateKey) verdict.needs.privateKey = true;
  return cfg;
}

/** The error for a refused WireGuard file: every refused key with its line and reason. */
export function wgRefusedError(file: string, v: VpnVerdict): SandtrayError {
  return refusedError(file, v, 'Edit those lines (hooks are not needed: Sandtray sets addresses, routes and DNS itself, and the sandbox is a kill switch), then try again.');
}

/** Parses wg-quick text; throws VPN naming every refused key with its line. */
export function parseWgQuick(text: string, file = 'the WireGuard configuration'): WgConfig {
  const cfg = readWgQuick(text);
  if (cfg.verdict.refused.length) throw wgRefusedError(file, cfg.verdict);
  return cfg;
}

/** wg-quick text without private and preshared keys, which are kept in the keyring (or the file store). */
export function formatWgQuick(cfg: Omit<WgConfig, 'verdict'>, store: 'keyring' | 'file' = 'keyring'): string {
  const out = ['[Interface]', store === 'file'
    ? "# PrivateKey is kept in Sandtray's file store (a 0600 file, chosen with --store file): sandtray secret set NAME private-key"
    : '# PrivateKey is kept in the keyring: sandtray secret set NAME private-key'];
  out.push(`Address = ${cfg.addresses.join(', ')}`);
  if (cfg.dns.length || cfg.searchDomains.length) out.push(`DNS = ${[...cfg.dns, ...cfg.searchDomains].join(', ')}`);
  if (cfg.mtu) out.push(`MTU = ${cfg.mtu}`);
  if (cfg.listenPort) out.push(`ListenPort = ${cfg.listenPort}`);
  for (const p of cfg.peers) {
    out.push('', '[Peer]', `PublicKey = ${p.publicKey}`);
    if (p.presharedKey) out.push('PresharedKey = keyring');
    if (p.endpoint) out.push(`Endpoint = ${p.endpoint.host.includes(':') ? `[${p.endpoint.host}]` : p.endpoint.host}:${p.endpoint.port}`);
    out.push(`AllowedIPs = ${p.allowedIps.join(', ')}`);
    if (p.persistentKeepalive !== null) out.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
  }
  return out.join('\n') + '\n';
}
