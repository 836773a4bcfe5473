// Secrets a sandbox's start needs, where they are kept (the keyring, or 0600 files the user chose),
// and who answers when one is missing (the CLI's terminal, the desktop's dialog).
import type { Paths } from '../core/paths.js';
import type { SecretNeed } from '../secrets/resolve.js';

export { checkSecretKey, checkSecretStore, deleteSecret, getSecret, secretFileDir, secretStoreOf, setSecret, SECRET_KEYS, type SecretStore } from '../secrets/keyring.js';
export { askSecret, setSecretPrompt, type SecretPrompt, type SecretQuestion } from './prompt.js';
export type { SecretNeed } from '../secrets/resolve.js';

/** The secrets a start of this sandbox will read from its store or ask for, in the order asked. */
export async function secretsNeeded(name: string, paths?: Paths): Promise<SecretNeed[]> {
  // Loaded here, not above: the CLI's secret commands need none of the VPN code.
  const { readRecord } = await import('../runtime/store.js');
  const { expandRecord } = await import('../profile/resolve.js');
  const { profile } = expandRecord(readRecord(name, paths), paths);
  if (profile.network.mode !== 'vpn') return [];
  const { loadVpn } = await import('../vpn/load.js');
  const { vpnKind } = await import('../vpn/kinds.js');
  const v = loadVpn(profile);
  return vpnKind(v.type).secretNeeds(v);
}
