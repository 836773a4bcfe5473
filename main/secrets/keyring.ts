// The desktop keyring is the engine's (helpers/secrets/keyring.ts: the Secret Service, pinned, with
// items stored by earlier versions moved on first read), behind a small interface so the broker can
// be exercised with another store.
import { KEYRING_SERVICE, keyringDelete, keyringGet, keyringSet } from '../../helpers/secrets/keyring.js';

export interface Keyring {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  remove(account: string): Promise<boolean>;
}

export { KEYRING_SERVICE };

/** The user's Secret Service through the engine; rejects with SECRET when none answers. */
export function secretServiceKeyring(service = KEYRING_SERVICE): Keyring {
  return {
    get: (account) => keyringGet(account, service),
    set: (account, secret) => keyringSet(account, secret, service),
    remove: (account) => keyringDelete(account, service),
  };
}
