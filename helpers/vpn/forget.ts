// On delete: a VPN sandbox's secrets leave the keyring, and what `vpn import` wrote for it goes too,
// so a later sandbox of the same name starts clean.
import fs from 'node:fs';
import path from 'node:path';
import type { Paths } from '../core/paths.js';
import { PROFILE_EXT } from '../profile/load.js';
import { expandRecord } from '../profile/resolve.js';
import { readRecord } from '../runtime/store.js';
import { deleteAllSecrets } from '../secrets/keyring.js';

/** First line of every profile `vpn import` writes; only such profiles are removed with their sandbox. */
export const IMPORT_MARKER = '# Written by `sandtray vpn import`; removed with the sandbox.';

/** Forgets a VPN sandbox's secrets and imported files; quiet about anything already gone. */
export async function forgetVpnSandbox(name: string, paths: Paths): Promise<void> {
  const rec = readRecord(name, paths);
  let vpn = false;
  try {
    vpn = expandRecord(rec, paths).profile.network.mode === 'vpn';
  } catch {
    // a profile that no longer loads: still look for imported files below
  }
  const profile = path.join(paths.config, 'profiles', `${name}${PROFILE_EXT}`);
  let text = '';
  try {
    text = fs.readFileSync(profile, 'utf8');
  } catch {
    // not imported
  }
  if (rec.profiles.includes(name) && text.startsWith(IMPORT_MARKER)) {
    vpn = true;
    for (const ext of ['.ovpn', '.conf']) fs.rmSync(path.join(paths.config, 'vpn', `${name}${ext}`), { force: true });
    fs.rmSync(profile, { force: true });
  }
  if (vpn) await deleteAllSecrets(name, paths);
}
