// The desktop keyring (libsecret through keytar), behind a small interface so the broker can be
// exercised with another store.
export interface Keyring {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  remove(account: string): Promise<boolean>;
}

export const KEYRING_SERVICE = 'sandtray';

/** The user's keyring via keytar; loaded on first use so a host without libsecret still starts. */
export function keytarKeyring(service = KEYRING_SERVICE): Keyring {
  let mod: Promise<typeof import('keytar')> | null = null;
  const load = async (): Promise<typeof import('keytar')> => {
    mod ??= import('keytar').then((m) => ((m as { default?: typeof import('keytar') }).default ?? m) as typeof import('keytar'));
    return mod;
  };
  return {
    async get(account) {
      return (await load()).getPassword(service, account);
    },
    async set(account, secret) {
      await (await load()).setPassword(service, account, secret);
    },
    async remove(account) {
      return (await load()).deletePassword(service, account);
    },
  };
}
