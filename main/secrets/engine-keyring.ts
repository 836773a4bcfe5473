// The broker's store is the engine's own (helpers/api getSecret/setSecret/deleteSecret): what the
// window remembers is where a start looks, the keyring or the 0600 files the user chose for that
// sandbox. Accounts are "SANDBOX/KEY", as the broker names them.
import { deleteSecret, getSecret, SandtrayError, setSecret, type Paths } from '../../helpers/api/index.js';
import type { Keyring } from './keyring.js';

function split(account: string): [string, string] {
  const at = account.indexOf('/');
  if (at <= 0) throw new SandtrayError('INVALID_ARGUMENT', `Not a secret account: ${account}`);
  return [account.slice(0, at), account.slice(at + 1)];
}

export function engineKeyring(paths?: Paths): Keyring {
  return {
    get: async (account) => getSecret(...split(account), paths),
    set: async (account, secret) => void (await setSecret(...split(account), secret, paths ? { paths } : {})),
    remove: async (account) => deleteSecret(...split(account), paths),
  };
}
