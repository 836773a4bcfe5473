// `vpn import`: a .ovpn or wg-quick file becomes a stored config, a profile and a sandbox;
// credentials found in it move to the keyring, or to the file store when the user chose it
// (`--store file`), never to the stored configuration. What becomes of each
// option is the engine's verdict (verdict.ts), which the CLI prints and the desktop shows.
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { createSandbox } from '../lifecycle/create.js';
import { PROFILE_EXT } from '../profile/load.js';
import { deleteAllSecrets, ensureSecretFileDir, secretFileDir, setSecret, type SecretStore } from '../secrets/keyring.js';
import { checkName, ensurePrivateDir, listNames } from '../runtime/store.js';
import { formatOvpn, ovpnRefusedError, readOvpn, type OvpnConfig } from './openvpn-config.js';
import { readVpnFile } from './load.js';
import { formatWgQuick, readWgQuick, wgRefusedError, type WgConfig } from './wireguard-config.js';
import { verdictForStore, verdictLines, type VpnVerdict } from './verdict.js';
import { IMPORT_MARKER } from './forget.js';

export interface ImportResult {
  name: string;
  type: 'openvpn' | 'wireguard';
  config: string;
  profile: string;
  /** What the user should know: servers, the verdict in sentences, stored secrets, what is still needed. */
  notes: string[];
  /** The engine's verdict on every option of the file. */
  verdict: VpnVerdict;
  /** Secrets moved to the keyring or the file store (their names, never their values). */
  stored: string[];
  /** Where the sandbox keeps its secrets: the keyring, or 0600 files the user consented to. */
  store: SecretStore;
}

/** What a VPN file gives a sandbox, before anything is written: the desktop's file sheet shows this. */
export interface VpnReview {
  type: 'openvpn' | 'wireguard';
  verdict: VpnVerdict;
  remotes: { host: string; port: number | null; proto: string | null }[];
  addresses: string[];
  dns: string[];
  allowedIps: string[];
  /** Keys or certificates are inside the file (or were read from files it names). */
  hasInlineKeys: boolean;
  config: { type: 'openvpn'; config: OvpnConfig } | { type: 'wireguard'; config: WgConfig };
}

/** OpenVPN or WireGuard, from the text (a [Interface] section means wg-quick). */
export function detectVpnType(text: string): 'openvpn' | 'wireguard' {
  return /^\s*\[Interface\]\s*$/im.test(text) ? 'wireguard' : 'openvpn';
}

/** A sandbox name from a file name, e.g. "Work VPN.ovpn" -> "work-vpn". */
export function nameFromFile(file: string): string {
  return path.basename(file).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'vpn';
}

const KEY_BLOCKS = new Set(['ca', 'cert', 'key', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'secret', 'pkcs12', 'extra-certs']);

/**
 * Reviews VPN text: the verdict on every option and a summary. `dir` is the file's folder, where
 * the files it names are read from (and only there); null reads none. The type is detected from
 * the text unless given.
 */
export function reviewVpnText(text: string, opts: { file?: string; dir?: string | null; type?: 'openvpn' | 'wireguard' } = {}): VpnReview {
  if ((opts.type ?? detectVpnType(text)) === 'wireguard') {
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
  }
  const cfg = readOvpn(text, { file: opts.file, dir: opts.dir ?? null });
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
}

/** Reviews a VPN file on disk (see reviewVpnText). */
export function reviewVpnFile(file: string): VpnReview {
  const abs = path.resolve(file);
  return reviewVpnText(readVpnFile(abs), { file: abs, dir: path.dirname(abs) });
}

/** Imports a VPN configuration as a new sandbox. */
export async function importVpn(file: string, opts: { name?: string; paths?: Paths; store?: SecretStore } = {}): Promise<ImportResult> {
  const paths = opts.paths ?? sandtrayPaths();
  const store = opts.store ?? 'keyring';
  const abs = path.resolve(file);
  const review = reviewVpnFile(abs);
  const { type } = review;
  // Said as it will be: credentials go to the store the user chose.
  const verdict = verdictForStore(review.verdict, store);
  if (verdict.refused.length) throw type === 'openvpn' ? ovpnRefusedError(abs, verdict) : wgRefusedError(abs, verdict);
  const name = checkName(opts.name ?? nameFromFile(abs));
  if (listNames(paths).includes(name)) throw new SandtrayError('ALREADY_EXISTS', `Sandbox "${name}" already exists`, 'Pick another name with --name NAME, or delete the old sandbox first.');
  const profileFile = path.join(paths.config, 'profiles', `${name}${PROFILE_EXT}`);
  if (fs.existsSync(profileFile)) throw new SandtrayError('ALREADY_EXISTS', `Profile ${profileFile} already exists`, 'Pick another name with --name NAME, or remove that profile first.');

  const notes: string[] = [];
  const secrets: Record<string, string> = {};
  let stored: string;
  if (review.config.type === 'openvpn') {
    const cfg = review.config.config;
    if (cfg.credentials.username) secrets['username'] = cfg.credentials.username;
    if (cfg.credentials.password) secrets['password'] = cfg.credentials.password;
    if (cfg.credentials.keyPassphrase) secrets['key-passphrase'] = cfg.credentials.keyPassphrase;
    stored = formatOvpn(cfg, store);
    const protos = [...new Set(cfg.remotes.map((r) => (r.proto ?? cfg.proto).replace(/[46]?(-client)?$/, '')))];
    notes.push(`${cfg.remotes.length} server${cfg.remotes.length > 1 ? 's' : ''} (${cfg.remotes.map((r) => `${r.host}:${r.port}`).join(', ')}) over ${protos.join('/')}`);
    notes.push(...verdictLines(verdict, store));
    if (cfg.needsUserPass && !secrets['password']) notes.push(`it needs a user name and password: \`sandtray secret set ${name} username\` and \`... password\`, or start it from a terminal to be asked`);
    if (cfg.encryptedKey && !secrets['key-passphrase']) notes.push(`its private key is encrypted: \`sandtray secret set ${name} key-passphrase\`, or start it from a terminal to be asked`);
  } else {
    const cfg = review.config.config;
    if (cfg.privateKey) secrets['private-key'] = cfg.privateKey;
    const peers = cfg.peers.map((p, i) => {
      if (p.presharedKey && p.presharedKey !== 'keyring') {
        secrets[i === 0 ? 'preshared-key' : `preshared-key-${i + 1}`] = p.presharedKey;
        return { ...p, presharedKey: 'keyring' };
      }
      return p;
    });
    stored = formatWgQuick({ ...cfg, peers, privateKey: null }, store);
    notes.push(`${cfg.peers.length} peer${cfg.peers.length > 1 ? 's' : ''}, addresses ${cfg.addresses.join(', ')}, DNS ${cfg.dns.join(', ') || 'none'}`);
    notes.push(...verdictLines(verdict, store));
    if (!cfg.privateKey) notes.push(`it has no PrivateKey: \`sandtray secret set ${name} private-key\``);
  }

  const stores = Object.keys(secrets);
  const configFile = path.join(paths.config, 'vpn', `${name}${type === 'openvpn' ? '.ovpn' : '.conf'}`);
  const undo: (() => unknown)[] = [];
  try {
    if (store === 'file') {
      // The user's consent, kept as the sandbox's folder: later `secret set` stores there too.
      ensureSecretFileDir(name, paths);
      undo.push(() => deleteAllSecrets(name, paths).catch(() => undefined));
    }
    for (const k of stores) {
      if (!undo.length) undo.push(() => deleteAllSecrets(name, paths).catch(() => undefined));
      await setSecret(name, k, secrets[k]!, { store, paths });
    }
    if (store === 'file') {
      notes.push(`secrets are kept in files, not in a keyring (you chose --store file): ${secretFileDir(name, paths)}/, mode 0600, readable by anything that runs as you${stores.length ? `; stored there: ${stores.join(', ')}` : ''}`);
    } else if (stores.length) notes.push(`stored in the keyring: ${stores.join(', ')}`);
    ensurePrivateDir(paths.config);
    ensurePrivateDir(path.dirname(configFile));
    fs.writeFileSync(configFile, stored, { mode: 0o600, flag: 'wx' });
    undo.push(() => fs.rmSync(configFile, { force: true }));
    fs.mkdirSync(path.dirname(profileFile), { recursive: true, mode: 0o700 });
    const profile = [
      IMPORT_MARKER,
      'apiVersion: sandtray/v1',
      `description: ${JSON.stringify(`${type === 'openvpn' ? 'OpenVPN' : 'WireGuard'} VPN imported from ${abs}`)}`,
      'network:',
      '  mode: vpn',
      '  vpn:',
      `    type: ${type}`,
      `    config: ${JSON.stringify(configFile)}`,
      '',
    ].join('\n');
    fs.writeFileSync(profileFile, profile, { mode: 0o600, flag: 'wx' });
    undo.push(() => fs.rmSync(profileFile, { force: true }));
    await createSandbox(name, { profiles: [name], paths });
  } catch (err) {
    for (const u of undo.reverse()) await u();
    throw err;
  }
  return { name, type, config: configFile, profile: profileFile, notes, verdict, stored: stores, store };
}
