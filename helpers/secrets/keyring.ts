// Secrets in the OS keyring (the Secret Service, through @napi-rs/keyring, pinned to it), or, only
// where the user chose it for a sandbox, in the file store: one 0600 file per secret under
// ~/.config/sandtray/secrets/SANDBOX/ (folders 0700), as NetworkManager and wg-quick keep keys. Never
// in argv or the environment, and never in a file or the kernel keyring without that choice: without
// a Secret Service, storing fails and says both ways out.
//
// Items are stored with the attributes service=sandtray and username=SANDBOX/KEY. Earlier versions
// stored them through keytar (libsecret's generic schema: service=sandtray, account=SANDBOX/KEY);
// such an item is still found, through libsecret's `secret-tool`, and moved to the new shape on first
// read.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { checkStateDir, ensureStateDir, removeStatePath, shown, writeStateFile } from '../core/trust.js';
import { checkName } from '../runtime/store.js';

const SERVICE = 'sandtray';

/** The secrets a sandbox can hold, and what each is for. */
export const SECRET_KEYS: Record<string, string> = {
  username: 'VPN user name (OpenVPN auth-user-pass)',
  password: 'VPN password (OpenVPN auth-user-pass)',
  'key-passphrase': 'passphrase of the OpenVPN private key',
  'private-key': 'WireGuard private key',
  'preshared-key': 'WireGuard preshared key of the first peer (preshared-key-2 for the second, ...)',
};

/** Checks a secret key name. */
export function checkSecretKey(key: string): string {
  if (SECRET_KEYS[key] || /^preshared-key-([2-9]|[1-9][0-9])$/.test(key)) return key;
  throw new SandtrayError('INVALID_ARGUMENT', `"${key}" is not a secret Sandtray uses`, `Use one of: ${Object.keys(SECRET_KEYS).join(', ')}.`);
}

/** What the keyring library offers (AsyncEntry of @napi-rs/keyring). */
interface KeyringEntry {
  getPassword(): Promise<string | null>;
  setPassword(password: string): Promise<void>;
  deletePassword(): Promise<boolean>;
}
interface KeyringModule {
  AsyncEntry: new (service: string, account: string, options?: { linux?: { store?: 'secret-service' | 'keyutils' } }) => KeyringEntry;
}

let keyringModule: KeyringModule | null = null;

function load(): KeyringModule {
  if (keyringModule) return keyringModule;
  try {
    keyringModule = createRequire(import.meta.url)('@napi-rs/keyring') as KeyringModule;
    return keyringModule;
  } catch (err) {
    throw new SandtrayError('SECRET', `The keyring library (@napi-rs/keyring) cannot be loaded: ${(err as Error).message}`, 'Reinstall Sandtray (`npm ci`), or keep this sandbox\'s secrets in files with `--store file`.', err);
  }
}

/**
 * The Secret Service entry for an account. Pinned to the Secret Service: by default the library
 * falls back, without a word, to the kernel keyring (lost at reboot, and not what the user chose).
 * Throws when no Secret Service answers.
 */
function entry(service: string, account: string): KeyringEntry {
  return new (load().AsyncEntry)(service, account, { linux: { store: 'secret-service' } });
}

// ---- items stored by keytar (earlier versions): read through libsecret's secret-tool, then moved ----

const SECRET_TOOL = 'secret-tool';

/** Runs secret-tool with the caller's session bus; null when it is not installed. */
async function secretTool(args: string[]): Promise<{ code: number; stdout: string } | null> {
  // Only what libsecret needs to find the session bus: nothing else of the caller's environment.
  const bus: Record<string, string> = {};
  for (const k of ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR'] as const) {
    const v = process.env[k];
    if (v) bus[k] = v;
  }
  // Loaded here: `list` and `info` read which store a sandbox uses and must not load execa.
  const { hostEnv, spawnTool } = await import('../host/spawn.js');
  const r = await spawnTool(SECRET_TOOL, args, { env: hostEnv(bus), reject: false, stdin: 'ignore', timeout: 20_000, maxBuffer: 1 << 20, stripFinalNewline: false });
  if ((r as { code?: string }).code === 'ENOENT') return null;
  return { code: r.exitCode ?? 1, stdout: String(r.stdout ?? '') };
}

/** An item keytar stored (attributes service and account), or null (none, or no secret-tool to look). */
async function legacyGet(service: string, account: string): Promise<string | null> {
  const r = await secretTool(['lookup', 'service', service, 'account', account]);
  if (!r || r.code !== 0) return null;
  return r.stdout.replace(/\r?\n$/, '') || null;
}

/** Removes keytar's item for the account; true when there was one. */
async function legacyDelete(service: string, account: string): Promise<boolean> {
  if ((await legacyGet(service, account)) === null) return false;
  const r = await secretTool(['clear', 'service', service, 'account', account]);
  return r !== null && r.code === 0;
}

// ---- the Secret Service, by account (the desktop uses these too) ----

/** The Secret Service service name of Sandtray's items. */
export const KEYRING_SERVICE = SERVICE;

async function keyringCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof SandtrayError) throw err;
    throw noService(err);
  }
}

/**
 * The secret stored for an account (SANDBOX/KEY), or null. An item an earlier version stored through
 * keytar is read too, and moved to the current shape. Throws SECRET when no Secret Service answers.
 */
export async function keyringGet(account: string, service = SERVICE): Promise<string | null> {
  const v = await keyringCall(() => entry(service, account).getPassword());
  if (v !== null) return v;
  const old = await legacyGet(service, account);
  if (old === null) return null;
  try {
    await entry(service, account).setPassword(old);
    await legacyDelete(service, account);
  } catch {
    // Not moved this time (a locked collection, say): it is still read from where it is.
  }
  return old;
}

/** Stores a secret for an account in the Secret Service; throws SECRET when none answers. */
export async function keyringSet(account: string, value: string, service = SERVICE): Promise<void> {
  await keyringCall(() => entry(service, account).setPassword(value));
  // An older copy stored through keytar would otherwise come back after a delete.
  await legacyDelete(service, account).catch(() => false);
}

/** Deletes an account's secret (and keytar's copy of it); true when one was stored. */
export async function keyringDelete(account: string, service = SERVICE): Promise<boolean> {
  const now = await keyringCall(() => entry(service, account).deletePassword());
  const old = await legacyDelete(service, account).catch(() => false);
  return now || old;
}

/** Where a sandbox's secrets go: the Secret Service, or 0600 files the user consented to. */
export type SecretStore = 'keyring' | 'file';

/** Checks a --store value. */
export function checkSecretStore(v: string): SecretStore {
  if (v === 'keyring' || v === 'file') return v;
  throw new SandtrayError('INVALID_ARGUMENT', `"${v}" is not a secret store`, 'Use --store keyring (the Secret Service, the default) or --store file (0600 files under ~/.config/sandtray/secrets/).');
}

function noService(err: unknown): SandtrayError {
  const why = err instanceof Error ? err.message : String(err);
  return new SandtrayError(
    'SECRET',
    `No Secret Service keyring is available (${why}); Sandtray keeps secrets in files only when you say so`,
    'Either start a Secret Service (log in to a desktop session with GNOME Keyring, KWallet or KeePassXC, and unlock it; ' +
      'over ssh, run Sandtray inside `dbus-run-session` with `gnome-keyring-daemon --unlock` started in it), ' +
      'or consent to the file store by adding `--store file` to the command: secrets are then kept in 0600 files under ' +
      '~/.config/sandtray/secrets/ (as NetworkManager and wg-quick keep keys), readable by anything that runs as you.',
    err,
  );
}

function account(sandbox: string, key: string): string {
  return `${checkName(sandbox)}/${checkSecretKey(key)}`;
}

// ---- the file store ----

/** The folder of a sandbox's file secrets: CONFIG/secrets/SANDBOX. */
export function secretFileDir(sandbox: string, paths: Paths = sandtrayPaths()): string {
  return path.join(paths.config, 'secrets', checkName(sandbox));
}

/** 'file' when the sandbox keeps its secrets in the file store (its folder exists), else 'keyring'. */
export function secretStoreOf(sandbox: string, paths: Paths = sandtrayPaths()): SecretStore {
  try {
    return checkStateDir(secretFileDir(sandbox, paths)) === null ? 'keyring' : 'file';
  } catch {
    // A folder that cannot be trusted still means the user chose files; reading it says why it fails.
    return 'file';
  }
}

/** Creates the sandbox's file-store folder (0700, and secrets/ above it 0700, one level at a time). */
export function ensureSecretFileDir(sandbox: string, paths: Paths = sandtrayPaths()): string {
  ensureStateDir(path.dirname(secretFileDir(sandbox, paths)));
  return ensureStateDir(secretFileDir(sandbox, paths));
}

/** A secret from the file store; null when the sandbox has no file store or not this key. */
function readFileSecret(sandbox: string, key: string, paths: Paths): string | null {
  const dir = checkStateDir(secretFileDir(sandbox, paths));
  if (dir === null) return null;
  const file = path.join(dir, checkSecretKey(key));
  let fd: number;
  try {
    // O_NOFOLLOW: a link planted in place of the file is refused (ELOOP), never followed.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SandtrayError('SECRET', `Cannot read the secret file ${shown(file)}: ${(err as Error).message}`, `Remove it and store the secret again: \`sandtray secret set ${sandbox} ${key} --store file\`.`, err);
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = process.getuid?.() ?? 0;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0) {
      throw new SandtrayError(
        'SECRET',
        `Refusing the secret file ${shown(file)}: it must be a regular file of yours that only you can read (it has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${st.uid})`,
        `Check that nobody else changed it, then run \`chmod 600 ${shown(file)}\`, or store the secret again with \`sandtray secret set ${sandbox} ${key} --store file\`.`,
      );
    }
    const v = fs.readFileSync(fd, 'utf8').replace(/\r?\n$/, '');
    return v || null;
  } finally {
    fs.closeSync(fd);
  }
}

function writeFileSecret(sandbox: string, key: string, value: string, paths: Paths): void {
  const dir = ensureSecretFileDir(sandbox, paths);
  // A new O_EXCL temporary file (flag 'wx', mode 0600) in the checked folder, then rename over the name.
  writeStateFile(path.join(dir, checkSecretKey(key)), `${value}\n`, 0o600);
}

function deleteFileSecret(sandbox: string, key: string, paths: Paths): boolean {
  const dir = checkStateDir(secretFileDir(sandbox, paths));
  if (dir === null) return false;
  return removeStatePath(path.join(dir, checkSecretKey(key))) !== null;
}

// ---- the file store, then the keyring ----

/**
 * A stored secret, or null when none is stored. The file store is read first (only a sandbox the
 * user chose it for has one), then the keyring; throws SECRET when there is no keyring.
 */
export async function getSecret(sandbox: string, key: string, paths: Paths = sandtrayPaths()): Promise<string | null> {
  const inFile = readFileSecret(sandbox, key, paths);
  if (inFile !== null) return inFile;
  return keyringGet(account(sandbox, key));
}

/**
 * Stores a secret and says where. `store` is the user's choice; without one, a sandbox that already
 * keeps its secrets in files keeps this one there too, and any other goes to the keyring. Without a
 * Secret Service and without the file store chosen, it refuses (SECRET, naming both ways out).
 */
export async function setSecret(sandbox: string, key: string, value: string, opts: { store?: SecretStore; paths?: Paths } = {}): Promise<SecretStore> {
  if (!value) throw new SandtrayError('INVALID_ARGUMENT', 'The secret is empty', 'Type the value, or pipe it on stdin.');
  if (/[\r\n\0]/.test(value)) throw new SandtrayError('INVALID_ARGUMENT', 'A secret must be a single line', 'Remove line breaks from the value.');
  const paths = opts.paths ?? sandtrayPaths();
  const store = opts.store ?? secretStoreOf(sandbox, paths);
  checkSecretKey(key);
  if (store === 'file') {
    writeFileSecret(sandbox, key, value, paths);
    return 'file';
  }
  await keyringSet(account(sandbox, key), value);
  // The keyring copy is now the one to use: a file copy of this key would be read first.
  deleteFileSecret(sandbox, key, paths);
  return 'keyring';
}

/** Deletes a secret from the file store and the keyring; true when one was stored. */
export async function deleteSecret(sandbox: string, key: string, paths: Paths = sandtrayPaths()): Promise<boolean> {
  const inFile = deleteFileSecret(sandbox, key, paths);
  try {
    return (await keyringDelete(account(sandbox, key))) || inFile;
  } catch (err) {
    // No Secret Service: fine when the secret was in the file store.
    if (inFile || secretStoreOf(sandbox, paths) === 'file') return inFile;
    throw err;
  }
}

/** Deletes every secret of a sandbox (on delete): its file-store folder, and its keyring entries (quiet without a keyring). */
export async function deleteAllSecrets(sandbox: string, paths: Paths = sandtrayPaths()): Promise<void> {
  removeStatePath(secretFileDir(sandbox, paths));
  const keys = [...Object.keys(SECRET_KEYS), ...Array.from({ length: 8 }, (_, i) => `preshared-key-${i + 2}`)];
  for (const k of keys) {
    try {
      await keyringDelete(account(sandbox, k));
    } catch {
      // No keyring answers: nothing stored there to delete.
      return;
    }
  }
}

/** What `info` and the desktop say about a sandbox whose secrets are in the file store (nothing otherwise). */
export function secretStoreRisks(sandbox: string, paths: Paths = sandtrayPaths()): { level: 'info'; key: string; message: string }[] {
  if (secretStoreOf(sandbox, paths) !== 'file') return [];
  return [{
    level: 'info',
    key: 'secrets',
    message: `its VPN secrets are kept in files, not in a keyring (chosen with --store file): ${secretFileDir(sandbox, paths)}/, mode 0600, readable by anything that runs as you`,
  }];
}
