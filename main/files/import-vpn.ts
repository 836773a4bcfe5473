// Imports a VPN configuration: keeps a private copy under the config folder and, when the engine
// has the matching network driver, makes a profile and a sandbox from it.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SandtrayError } from '../../helpers/core/errors.js';
import type { Paths } from '../../helpers/core/paths.js';
import { createSandbox } from '../../helpers/lifecycle/create.js';
import { startSandbox } from '../../helpers/lifecycle/start.js';
import { API_VERSION, layerSchema, networkModes } from '../../helpers/profile/schema.js';
import { ensurePrivateDir } from '../../helpers/runtime/store.js';

/** Whether this engine build has VPN sandboxes (network mode "vpn"). */
export function engineSupportsVpn(): boolean {
  return (networkModes as readonly string[]).includes('vpn');
}

/** Copies the configuration (0600: it may hold keys) and creates a VPN sandbox when the engine can. */
export async function importVpnConfig(kind: 'openvpn' | 'wireguard', file: string, name: string, start: boolean, paths: Paths): Promise<string> {
  const dir = path.join(paths.config, 'vpn');
  ensurePrivateDir(paths.config);
  ensurePrivateDir(dir);
  const dest = path.join(dir, `${name}${kind === 'openvpn' ? '.ovpn' : '.conf'}`);
  try {
    fs.copyFileSync(file, dest, fs.constants.COPYFILE_EXCL);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SandtrayError('ALREADY_EXISTS', `A VPN configuration named "${name}" was already imported (${dest})`, 'Pick another name, or remove that file first.');
    throw err;
  }
  fs.chmodSync(dest, 0o600);
  const layer = { apiVersion: API_VERSION, description: `${kind === 'openvpn' ? 'OpenVPN' : 'WireGuard'} tunnel from ${path.basename(file)}`, network: { mode: 'vpn', vpn: { type: kind, config: dest } } };
  if (!engineSupportsVpn() || !layerSchema.safeParse(layer).success) {
    return `Saved the configuration as ${dest}. This build of the engine has no VPN sandboxes yet, so no sandbox was created.`;
  }
  const profileDir = path.join(paths.config, 'profiles');
  fs.mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  const profile = path.join(profileDir, `${name}.sandtray`);
  fs.writeFileSync(profile, YAML.stringify(layer), { mode: 0o600, flag: 'wx' });
  await createSandbox(name, { profiles: [name], paths });
  if (start) await startSandbox(name, paths);
  return `Imported ${path.basename(file)} as sandbox ${name}${start ? ' and started it' : ''}.`;
}
