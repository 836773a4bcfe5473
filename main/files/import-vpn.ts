// Imports a VPN configuration opened in the app through the engine's own importer, so the app
// refuses what the CLI refuses (scripts, plugins) and credentials move to the keyring, or to 0600
// files when the user chose that in the sheet, never into the stored configuration.
import { deleteSandbox, importVpn, setSecret, startSandbox, type Paths, type SecretStore, type VpnType } from '../../helpers/api/index.js';

/** What the import sheet asked: where secrets go, and the user name and password when the server wants them. */
export interface VpnImportChoices {
  store?: SecretStore;
  credentials?: { username: string; password: string };
}

/**
 * Imports the file as sandbox `name` (optionally starting it) and returns what to tell the user,
 * in one short sentence. When storing the credentials fails, the import is undone: nothing is left.
 */
export async function importVpnConfig(kind: VpnType, file: string, name: string, start: boolean, paths: Paths, choices: VpnImportChoices = {}): Promise<string> {
  // The importer tells OpenVPN from WireGuard by the content; the file's extension only chose the dialog.
  void kind;
  const store = choices.store ?? 'keyring';
  const result = await importVpn(file, { name, paths, store });
  if (choices.credentials) {
    try {
      await setSecret(name, 'username', choices.credentials.username, { store, paths });
      await setSecret(name, 'password', choices.credentials.password, { store, paths });
    } catch (err) {
      await deleteSandbox(name, { force: true, paths }).catch(() => undefined);
      throw err;
    }
  }
  if (start) await startSandbox(name, paths);
  const where = result.store === 'file' ? ' Its secrets are in 0600 files under ~/.config/sandtray/secrets/.' : '';
  return `Imported ${file.split('/').pop()} as ${name}${start ? ' and connected' : ''}.${where}`;
}
