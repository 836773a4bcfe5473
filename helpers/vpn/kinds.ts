// The VPN types behind one interface, as the network modes are behind NetworkDriver: each kind
// says how it is recognised, read under the engine's allowlist (the verdict), loaded for a start,
// refused, and what an import moves out of the file into the secret store. Code that works on
// any VPN asks vpnKind(type) instead of restating "openvpn | wireguard".
import type { SandtrayError } from '../core/errors.js';
import { vpnTypes, type VpnType } from '../profile/schema.js';
import type { SecretNeed } from '../secrets/resolve.js';
import { ONE_TIME_CODE } from './management.js';
import { formatOvpn, ovpnRefusedError, parseOvpn, readOvpn, type OvpnConfig } from './openvpn-config.js';
import { verdictLines, type VpnVerdict } from './verdict.js';
import { formatWgQuick, parseWgQuick, readWgQuick, wgRefusedError, type WgConfig } from './wireguard-config.js';

export { vpnTypes, type VpnType } from '../profile/schema.js';

/** What a VPN file gives a sandbox, before anything is written: the desktop's file sheet shows this. */
export interface VpnReview {
  type: VpnType;
  verdict: VpnVerdict;
  remotes: { host: string; port: number | null; proto: string | null }[];
  addresses: string[];
  dns: string[];
  allowedIps: string[];
  /** Keys or certificates are inside the file (or were read from files it names). */
  hasInlineKeys: boolean;
  config: { type: 'openvpn'; config: OvpnConfig } | { type: 'wireguard'; config: WgConfig };
}

/** A configuration loaded for a start. */
export type LoadedVpn = { type: 'openvpn'; file: string; config: OvpnConfig } | { type: 'wireguard'; file: string; config: WgConfig };

/** What an import keeps: the secrets moved out of the file, the text stored without them, notes. */
export interface Extracted {
  secrets: Record<string, string>;
  stored: string;
  notes: string[];
}

export interface VpnKind {
  type: VpnType;
  /** The name people know it by. */
  label: string;
  /** The extension its stored configuration gets. */
  ext: string;
  /** Whether text is, by its content, a configuration of this kind (a file name proves nothing). */
  recognises(text: string, dir: string | null): boolean;
  /** The engine's reading of the text: the verdict on every option, and a summary. */
  review(text: string, opts: { file?: string; dir: string | null }): VpnReview;
  /** Parses a stored configuration for a start; throws when anything in it is refused. */
  load(text: string, file: string, dir: string): LoadedVpn;
  /** The error for a file with refused options. */
  refused(file: string, verdict: VpnVerdict): SandtrayError;
  /** What an import of a reviewed file stores, for the sandbox `name`, said for the chosen store. */
  extract(review: VpnReview, name: string, store?: 'keyring' | 'file'): Extracted;
  /** The secrets a start with this configuration reads from the store or asks for, in order. */
  secretNeeds(v: LoadedVpn): SecretNeed[];
}

const KEY_BLOCKS = new Set(['ca', 'cert', 'key', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'secret', 'pkcs12', 'extra-certs']);

const openvpn: VpnKind = {
  type: 'openvpn',
  label: 'OpenVPN',
  ext: '.ovpn',
  // Linux OpenVPN files are often .conf: one is OpenVPN when the reading finds a client in it.
  recognises: (text, dir) => openvpn.review(text, { dir }).verdict.kept.some((k) => k.option === 'client' || k.option === 'remote' || k.option === 'tls-client'),
  review(text, opts) {
    const cfg = readOvpn(text, { file: opts.file, dir: opts.dir });
    const dns = cfg.directives.filter((d) => d.name === 'dhcp-option' && /^DNS6?$/i.test(d.args[0] ?? '') && d.args[1]).map((d) => d.args[1]!);
    return {
      type: 'openvpn',
      verdict: cfg.verdict,
      remotes: cfg.remotes.map((r) => ({ host: r.host, port: r.port, proto: (r.proto ?? cfg.proto).replace(/-client$/, '') })),
      addresses: [],
      dns,
      allowedIps: [],
      hasInlineKeys: cfg.blocks.some((b) => KEY_BLOCKS.has(b.tag)),
      config: { type: 'openvpn', config: cfg },
    };
  },
  load: (text, file, dir) => ({ type: 'openvpn', file, config: parseOvpn(text, file, dir) }),
  refused: ovpnRefusedError,
  extract(review, name, store = 'keyring') {
    if (review.config.type !== 'openvpn') throw new TypeError('not an OpenVPN review');
    const cfg = review.config.config;
    const secrets: Record<string, string> = {};
    if (cfg.credentials.username) secrets['username'] = cfg.credentials.username;
    if (cfg.credentials.password) secrets['password'] = cfg.credentials.password;
    if (cfg.credentials.keyPassphrase) secrets['key-passphrase'] = cfg.credentials.keyPassphrase;
    const protos = [...new Set(cfg.remotes.map((r) => (r.proto ?? cfg.proto).replace(/[46]?(-client)?$/, '')))];
    const notes = [`${cfg.remotes.length} server${cfg.remotes.length > 1 ? 's' : ''} (${cfg.remotes.map((r) => `${r.host}:${r.port}`).join(', ')}) over ${protos.join('/')}`, ...verdictLines(review.verdict, store)];
    if (cfg.needsUserPass && !secrets['password']) notes.push(`it needs a user name and password: \`sandtray secret set ${name} username\` and \`... password\`, or start it from a terminal to be asked`);
    if (cfg.encryptedKey && !secrets['key-passphrase']) notes.push(`its private key is encrypted: \`sandtray secret set ${name} key-passphrase\`, or start it from a terminal to be asked`);
    return { secrets, stored: formatOvpn(cfg, store), notes };
  },
  secretNeeds(v) {
    if (v.type !== 'openvpn') throw new TypeError('not an OpenVPN configuration');
    const needs: SecretNeed[] = [];
    const inline = v.config.blocks.some((b) => b.tag === 'auth-user-pass');
    if (v.config.needsUserPass && !inline) needs.push({ key: 'username', label: 'VPN user name' }, { key: 'password', label: 'VPN password' });
    if (v.config.encryptedKey) needs.push({ key: 'key-passphrase', label: 'private key passphrase' });
    // static-challenge: a one-time code, asked at every start with the file's own words, never kept.
    const c = v.config.challenge;
    if (c) needs.push({ key: ONE_TIME_CODE, label: c.text.trim() || 'one-time code', oneTime: true, echo: c.echo });
    return needs;
  },
};

const wireguard: VpnKind = {
  type: 'wireguard',
  label: 'WireGuard',
  ext: '.conf',
  recognises: (text) => /^\s*\[(Interface|Peer)\]\s*$/im.test(text),
  review(text) {
    const cfg = readWgQuick(text);
    return {
      type: 'wireguard',
      verdict: cfg.verdict,
      remotes: cfg.peers.filter((p) => p.endpoint).map((p) => ({ host: p.endpoint!.host, port: p.endpoint!.port, proto: 'udp' })),
      addresses: cfg.addresses,
      dns: [...cfg.dns, ...cfg.searchDomains],
      allowedIps: cfg.peers.flatMap((p) => p.allowedIps),
      hasInlineKeys: Boolean(cfg.privateKey),
      config: { type: 'wireguard', config: cfg },
    };
  },
  load: (text, file) => ({ type: 'wireguard', file, config: parseWgQuick(text, file) }),
  refused: wgRefusedError,
  extract(review, name, store = 'keyring') {
    if (review.config.type !== 'wireguard') throw new TypeError('not a WireGuard review');
    const cfg = review.config.config;
    const secrets: Record<string, string> = {};
    if (cfg.privateKey) secrets['private-key'] = cfg.privateKey;
    const peers = cfg.peers.map((p, i) => {
      if (p.presharedKey && p.presharedKey !== 'keyring') {
        secrets[i === 0 ? 'preshared-key' : `preshared-key-${i + 1}`] = p.presharedKey;
        return { ...p, presharedKey: 'keyring' };
      }
      return p;
    });
    const notes = [`${cfg.peers.length} peer${cfg.peers.length > 1 ? 's' : ''}, addresses ${cfg.addresses.join(', ')}, DNS ${cfg.dns.join(', ') || 'none'}`, ...verdictLines(review.verdict, store)];
    if (!cfg.privateKey) notes.push(`it has no PrivateKey: \`sandtray secret set ${name} private-key\``);
    return { secrets, stored: formatWgQuick({ ...cfg, peers, privateKey: null }, store), notes };
  },
  secretNeeds(v) {
    if (v.type !== 'wireguard') throw new TypeError('not a WireGuard configuration');
    const needs: SecretNeed[] = v.config.privateKey ? [] : [{ key: 'private-key', label: 'WireGuard private key' }];
    v.config.peers.forEach((p, i) => {
      if (p.presharedKey === 'keyring') needs.push({ key: i === 0 ? 'preshared-key' : `preshared-key-${i + 1}`, label: `WireGuard preshared key of peer ${i + 1}` });
    });
    return needs;
  },
};

/** Every VPN kind, by type. */
export const VPN_KINDS: Readonly<Record<VpnType, VpnKind>> = { openvpn, wireguard };

/** The kind of a type. */
export function vpnKind(type: VpnType): VpnKind {
  return VPN_KINDS[type];
}

/** The kind text is, for a file the user opened: the first kind that recognises it, or null. */
export function recogniseVpn(text: string, dir: string | null): VpnKind | null {
  // WireGuard first: its sections are unambiguous, OpenVPN's reading accepts almost any text.
  for (const t of [...vpnTypes].reverse()) if (VPN_KINDS[t].recognises(text, dir)) return VPN_KINDS[t];
  return null;
}
