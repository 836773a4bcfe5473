// `vpn import`: a .ovpn or wg-quick file becomes a stored config, a profile and a sandbox;
// credentials found in it move to the keyring, never to Sandtray's files.
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { createSandbox } from '../lifecycle/create.js';
import { PROFILE_EXT } from '../profile/load.js';
import { deleteSecret, setSecret } from '../secrets/keyring.js';
import { checkName, ensurePrivateDir, listNames } from '../runtime/store.js';
import { parseOvpn, type OvpnConfig } from './openvpn-config.js';
import { readVpnFile } from './load.js';
import { formatWgQuick, parseWgQuick, type WgConfig } from './wireguard-config.js';
import { IMPORT_MARKER } from './forget.js';

export interface ImportResult {
  name: string;
  type: 'openvpn' | 'wireguard';
  config: string;
  profile: string;
  /** What the user should know: stored secrets, remotes, what is still needed. */
  notes: string[];
}

/** OpenVPN or WireGuard, from the text (a [Interface] section means wg-quick). */
export function detectVpnType(text: string): 'openvpn' | 'wireguard' {
  return /^\s*\[Interface\]\s*$/im.test(text) ? 'wireguard' : 'openvpn';
}

/** A sandbox name from a file name, e.g. "Work VPN.ovpn" -> "work-vpn". */
export function nameFromFile(file: string): string {
  return path.basename(file).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'vpn';
}

const FILE_BLOCKS: Record<string, string> = { ca: 'ca', cert: 'cert', key: 'key', 'tls-auth': 'tls-auth', 'tls-crypt': 'tls-crypt', 'tls-crypt-v2': 'tls-crypt-v2', pkcs12: 'pkcs12', secret: 'secret', 'extra-certs': 'extra-certs', dh: 'dh' };

/** Copies files the config names (ca, cert, key, ...) into inline blocks, so the stored config stands alone. */
function inlineFiles(cfg: OvpnConfig, baseDir: string): { cfg: OvpnConfig; notes: string[] } {
  const notes: string[] = [];
  const directives = [];
  const blocks = [...cfg.blocks];
  for (const d of cfg.directives) {
    const tag = FILE_BLOCKS[d.name];
    const arg = d.args[0];
    if (!tag || !arg || arg === '[inline]') {
      directives.push(d);
      continue;
    }
    const file = path.resolve(baseDir, arg);
    let body: string;
    try {
      body = d.name === 'pkcs12' ? fs.readFileSync(file).toString('base64') : fs.readFileSync(file, 'utf8');
    } catch {
      throw new SandtrayError('NOT_FOUND', `The configuration names ${d.name} file ${arg} (line ${d.line}), which cannot be read at ${file}`, 'Put the file next to the configuration, or inline it as a <' + tag + '> block.');
    }
    blocks.push({ tag, body: body.endsWith('\n') ? body : body + '\n' });
    if ((d.name === 'tls-auth' || d.name === 'secret') && d.args[1] !== undefined) directives.push({ name: 'key-direction', args: [d.args[1]], line: d.line });
    notes.push(`copied ${d.name} file ${arg} into the stored configuration`);
  }
  const encryptedKey = /ENCRYPTED/.test(blocks.find((b) => b.tag === 'key')?.body ?? '');
  return { cfg: { ...cfg, directives, blocks, encryptedKey }, notes };
}

/** The stored text of an OpenVPN config: directives then blocks; credentials left out. */
function formatOvpn(cfg: OvpnConfig): string {
  const out = ['# Imported by Sandtray; credentials are kept in the keyring.'];
  for (const d of cfg.directives) {
    if (d.name === 'auth-user-pass') out.push('auth-user-pass');
    else out.push([d.name, ...d.args].map((a) => (/^[^\s"'\\#;]+$/.test(a) ? a : `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(' '));
  }
  for (const b of cfg.blocks) {
    if (b.tag === 'auth-user-pass' || b.tag === 'connection') continue;
    out.push(`<${b.tag}>`, b.body.trimEnd(), `</${b.tag}>`);
  }
  return out.join('\n') + '\n';
}

/** Imports a VPN configuration as a new sandbox. */
export async function importVpn(file: string, opts: { name?: string; paths?: Paths } = {}): Promise<ImportResult> {
  const paths = opts.paths ?? sandtrayPaths();
  const abs = path.resolve(file);
  const text = readVpnFile(abs);
  const type = detectVpnType(text);
  const name = checkName(opts.name ?? nameFromFile(abs));
  if (listNames(paths).includes(name)) throw new SandtrayError('ALREADY_EXISTS', `Sandbox "${name}" already exists`, 'Pick another name with --name NAME, or delete the old sandbox first.');
  const profileFile = path.join(paths.config, 'profiles', `${name}${PROFILE_EXT}`);
  if (fs.existsSync(profileFile)) throw new SandtrayError('ALREADY_EXISTS', `Profile ${profileFile} already exists`, 'Pick another name with --name NAME, or remove that profile first.');

  const notes: string[] = [];
  const secrets: Record<string, string> = {};
  let stored: string;
  if (type === 'openvpn') {
    const parsed = inlineFiles(parseOvpn(text, abs), path.dirname(abs));
    notes.push(...parsed.notes);
    const cfg = parsed.cfg;
    let creds: string | null = null;
    if (cfg.authFile) {
      try {
        creds = fs.readFileSync(path.resolve(path.dirname(abs), cfg.authFile), 'utf8');
      } catch {
        throw new SandtrayError('NOT_FOUND', `auth-user-pass names ${cfg.authFile}, which cannot be read`, 'Remove the file name from the auth-user-pass line; Sandtray asks for the credentials and keeps them in the keyring.');
      }
    }
    creds = creds ?? cfg.blocks.find((b) => b.tag === 'auth-user-pass')?.body ?? null;
    if (creds) {
      const [u, p] = creds.replace(/\r/g, '').split('\n');
      if (u) secrets['username'] = u;
      if (p) secrets['password'] = p;
    }
    stored = formatOvpn(cfg);
    const protos = [...new Set(cfg.remotes.map((r) => (r.proto ?? cfg.proto).replace(/[46]?(-client)?$/, '')))];
    notes.push(`${cfg.remotes.length} server${cfg.remotes.length > 1 ? 's' : ''} (${cfg.remotes.map((r) => `${r.host}:${r.port}`).join(', ')}) over ${protos.join('/')}`);
    if (cfg.needsUserPass && !secrets['password']) notes.push(`it needs a user name and password: \`sandtray secret set ${name} username\` and \`... password\`, or start it from a terminal to be asked`);
    if (cfg.encryptedKey) notes.push(`its private key is encrypted: \`sandtray secret set ${name} key-passphrase\`, or start it from a terminal to be asked`);
  } else {
    const cfg: WgConfig = parseWgQuick(text, abs);
    if (cfg.privateKey) secrets['private-key'] = cfg.privateKey;
    cfg.peers.forEach((p, i) => {
      if (p.presharedKey && p.presharedKey !== 'keyring') {
        secrets[i === 0 ? 'preshared-key' : `preshared-key-${i + 1}`] = p.presharedKey;
        p.presharedKey = 'keyring';
      }
    });
    stored = formatWgQuick({ ...cfg, privateKey: null });
    notes.push(`${cfg.peers.length} peer${cfg.peers.length > 1 ? 's' : ''}, addresses ${cfg.addresses.join(', ')}, DNS ${cfg.dns.join(', ') || 'none'}`);
    if (!cfg.privateKey) notes.push(`it has no PrivateKey: \`sandtray secret set ${name} private-key\``);
  }

  const stores = Object.keys(secrets);
  const configFile = path.join(paths.config, 'vpn', `${name}${type === 'openvpn' ? '.ovpn' : '.conf'}`);
  const undo: (() => unknown)[] = [];
  try {
    for (const k of stores) {
      await setSecret(name, k, secrets[k]!);
      undo.push(() => deleteSecret(name, k).catch(() => false));
    }
    if (stores.length) notes.push(`stored in the keyring: ${stores.join(', ')}`);
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
  return { name, type, config: configFile, profile: profileFile, notes };
}
