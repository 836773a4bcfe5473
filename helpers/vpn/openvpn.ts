// Running the OpenVPN client in the uplink: it creates the tun there and configures nothing itself.
import fs from 'node:fs';
import path from 'node:path';
import { requireTool } from '../host/tools.js';
import { nsenterArgv } from '../network/nsenter.js';
import type { SandboxDirs } from '../runtime/store.js';
import { effectiveOvpn, type OvpnConfig } from './openvpn-config.js';

export const OPENVPN_DEV = 'tun0';

/** Path of the management socket (the runtime directory is 0700, so only the user reaches it). */
export function mgmtSocket(dirs: Pick<SandboxDirs, 'runtime'>): string {
  return path.join(dirs.runtime, 'openvpn.sock');
}

/**
 * openvpn's argv, after the user's configuration so these win:
 * - no ifconfig, no routes: the tun is configured inside the sandbox after it is moved there;
 * - persist-tun: a reconnect keeps the same device, so the sandbox never gets a fresh one outside;
 * - management hold and password queries: nothing happens until the agent is listening, and
 *   secrets arrive over the socket, never in argv, environment or a file;
 * - auth-retry none: a wrong password ends the client once instead of retrying forever;
 * - script-security 0: nothing the configuration says can start a program.
 */
export function openvpnArgv(uplinkPid: number, configFile: string, configDir: string, socket: string): string[] {
  return [
    ...nsenterArgv(uplinkPid, ['net', 'mount']),
    requireTool('openvpn'),
    '--cd', configDir,
    '--config', configFile,
    '--dev', OPENVPN_DEV, '--dev-type', 'tun',
    '--ifconfig-noexec', '--route-noexec',
    '--persist-tun', '--persist-key',
    '--disable-dco',
    '--auth-retry', 'none',
    '--script-security', '0',
    '--management', socket, 'unix',
    '--management-hold', '--management-query-passwords',
    '--verb', '3',
  ];
}

/** Writes the configuration the client runs into the runtime directory (0600); returns notes. */
export function writeOpenvpnConfig(cfg: OvpnConfig, file: string, hostLoopback: string): string[] {
  const { text, notes } = effectiveOvpn(cfg, hostLoopback);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return notes;
}
