// Imports a VPN configuration opened in the app through the engine's own importer, so the app
// refuses what the CLI refuses (scripts, plugins) and credentials move to the keyring, never to disk.
import { importVpn, startSandbox, type Paths, type VpnType } from '../../helpers/api/index.js';

/** Imports the file as sandbox `name` (optionally starting it) and returns what to tell the user. */
export async function importVpnConfig(kind: VpnType, file: string, name: string, start: boolean, paths: Paths): Promise<string> {
  // The importer tells OpenVPN from WireGuard by the content; the file's extension only chose the dialog.
  void kind;
  const result = await importVpn(file, { name, paths });
  if (start) await startSandbox(name, paths);
  const notes = result.notes.length ? ` ${result.notes.join(' ')}` : '';
  return `Imported ${file.split('/').pop()} as sandbox ${name}${start ? ' and started it' : ''}.${notes}`;
}
