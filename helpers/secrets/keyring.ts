// Secrets in the OS keyring (Secret Service, through keytar): never in files, argv or environment.
import { createRequire } from 'node:module';
import { SandtrayError } from '../core/errors.js';
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

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

let keytar: Keytar | null = null;

function load(): Keytar {
  if (keytar) return keytar;
  try {
    keytar = createRequire(import.meta.url)('keytar') as Keytar;
    return keytar;
  } catch (err) {
    throw new SandtrayError('SECRET', `The keyring library (keytar) cannot be loaded: ${(err as Error).message}`, 'Reinstall Sandtray (`npm ci`), with libsecret installed (sudo apt install libsecret-1-0).', err);
  }
}

function noService(err: unknown): SandtrayError {
  const why = err instanceof Error ? err.message : String(err);
  return new SandtrayError(
    'SECRET',
    `No Secret Service keyring is available (${why}); Sandtray keeps secrets only in a keyring, never in files`,
    'Log in to a desktop session with a keyring (GNOME Keyring, KWallet or KeePassXC with Secret Service) and unlock it, then try again.',
    err,
  );
}

function account(sandbox: string, key: string): string {
  return `${checkName(sandbox)}/${checkSecretKey(key)}`;
}

/** A stored secret, or null when none is stored; throws SECRET when there is no keyring. */
export async function getSecret(sandbox: string, key: string): Promise<string | null> {
  try {
    return await load().getPassword(SERVICE, account(sandbox, key));
  } catch (err) {
    if (err instanceof SandtrayError) throw err;
    throw noService(err);
  }
}

/** Stores a secret; refuses (SECRET) without a keyring rather than weakening to a file. */
export async function setSecret(sandbox: string, key: string, value: string): Promise<void> {
  if (!value) throw new SandtrayError('INVALID_ARGUMENT', 'The secret is empty', 'Type the value, or pipe it on stdin.');
  if (/[\r\n\0]/.test(value)) throw new SandtrayError('INVALID_ARGUMENT', 'A secret must be a single line', 'Remove line breaks from the value.');
  try {
    await load().setPassword(SERVICE, account(sandbox, key), value);
  } catch (err) {
    if (err instanceof SandtrayError) throw err;
    throw noService(err);
  }
}

/** Deletes a secret; true when one was stored. */
export async function deleteSecret(sandbox: string, key: string): Promise<boolean> {
  try {
    return await load().deletePassword(SERVICE, account(sandbox, key));
  } catch (err) {
    if (err instanceof SandtrayError) throw err;
    throw noService(err);
  }
}

/** Deletes every secret of a sandbox (on delete); quiet without a keyring. */
export async function deleteAllSecrets(sandbox: string): Promise<void> {
  const keys = [...Object.keys(SECRET_KEYS), ...Array.from({ length: 8 }, (_, i) => `preshared-key-${i + 2}`)];
  for (const k of keys) await deleteSecret(sandbox, k).catch(() => false);
}
