// Loading the VPN configuration a profile names, with errors that say which file and what to do.
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import type { Profile } from '../profile/schema.js';
import { vpnKind, type LoadedVpn } from './kinds.js';

const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads a VPN configuration file as UTF-8 text; NOT_FOUND or VPN errors with the path. */
export function readVpnFile(file: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new SandtrayError('NOT_FOUND', `The VPN configuration ${file} does not exist`, 'Check network.vpn.config in the profile, or import the file again with `sandtray vpn import FILE`.');
  }
  if (!st.isFile()) throw new SandtrayError('VPN', `The VPN configuration ${file} is not a regular file`);
  if (st.size > MAX_CONFIG_BYTES) throw new SandtrayError('VPN', `The VPN configuration ${file} is larger than 1 MiB`, 'Check that this is the right file.');
  const data = fs.readFileSync(file);
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    throw new SandtrayError('VPN', `The VPN configuration ${file} is saved as UTF-16, which OpenVPN and WireGuard cannot read`, 'Save it again as UTF-8 (or ANSI) text, then try again.');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new SandtrayError('VPN', `The VPN configuration ${file} is not UTF-8 text`, 'Check that this is the right file, or save it again as UTF-8 text.');
  }
}

export type { LoadedVpn } from './kinds.js';

/**
 * Parses the profile's VPN configuration with the same rules as an import: files it names are
 * read from its own folder only and go inline into what the client runs.
 */
export function loadVpn(profile: Profile): LoadedVpn {
  const vpn = profile.network.vpn;
  if (!vpn) throw new SandtrayError('INVALID_PROFILE', 'network.mode is vpn but network.vpn is not set', 'Add network.vpn: {type: openvpn|wireguard, config: FILE}, or import a configuration with `sandtray vpn import FILE`.');
  const text = readVpnFile(vpn.config);
  return vpnKind(vpn.type).load(text, vpn.config, path.dirname(path.resolve(vpn.config)));
}
