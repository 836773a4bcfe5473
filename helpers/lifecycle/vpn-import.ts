// `vpn import`: a .ovpn or wg-quick file becomes a stored config, a profile and a sandbox;
// credentials found in it move to the keyring, or to the file store when the user chose it
// (`--store file`), never to the stored configuration. What becomes of each option is the
// engine's verdict (vpn/import.ts reads the file), which the CLI prints and the desktop shows.
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { PROFILE_EXT } from '../profile/load.js';
import type { VpnType } from '../profile/schema.js';
import { checkName, ensurePrivateDir, listNames } from '../runtime/store.js';
import { deleteAllSecrets, ensureSecretFileDir, secretFileDir, setSecret, type SecretStore } from '../secrets/keyring.js';
import { IMPORT_MARKER } from '../vpn/forget.js';
import { nameFromFile, reviewVpnFile } from '../vpn/import.js';
import { vpnKind } from '../vpn/kinds.js';
import { verdictForStore, type VpnVerdict } from '../vpn/verdict.js';
import { createSandbox } from './create.js';

export interface ImportResult {
  name: string;
  type: VpnType;
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

/** Imports a VPN configuration as a new sandbox. */
export async function importVpn(file: string, opts: { name?: string; paths?: Paths; store?: SecretStore } = {}): Promise<ImportResult> {
  const paths = opts.paths ?? sandtrayPaths();
  const store = opts.store ?? 'keyring';
  const abs = path.resolve(file);
  const review = reviewVpnFile(abs);
  const { type } = review;
  // Said as it will be: credentials go to the store the user chose.
  const verdict = verdictForStore(review.verdict, store);
  const kind = vpnKind(type);
  if (verdict.refused.length) throw kind.refused(abs, verdict);
  const name = checkName(opts.name ?? nameFromFile(abs));
  if (listNames(paths).includes(name)) throw new SandtrayError('ALREADY_EXISTS', `Sandbox "${name}" already exists`, 'Pick another name with --name NAME, or delete the old sandbox first.');
  const profileFile = path.join(paths.config, 'profiles', `${name}${PROFILE_EXT}`);
  if (fs.existsSync(profileFile)) throw new SandtrayError('ALREADY_EXISTS', `Profile ${profileFile} already exists`, 'Pick another name with --name NAME, or remove that profile first.');

  const { secrets, stored, notes } = kind.extract({ ...review, verdict }, name, store);
  const stores = Object.keys(secrets);
  const configFile = path.join(paths.config, 'vpn', `${name}${kind.ext}`);
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
      `description: ${JSON.stringify(`${kind.label} VPN imported from ${abs}`)}`,
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
