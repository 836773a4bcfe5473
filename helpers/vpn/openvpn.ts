// Running the OpenVPN client in the uplink, in its jail (jail.ts): it creates the tun there and
// configures nothing itself.
import fs from 'node:fs';
import { requireTool } from '../host/tools.js';
import { effectiveOvpn, type OvpnConfig } from './openvpn-config.js';

export const OPENVPN_DEV = 'tun0';

/**
 * File names in the jail's writable folder (jail.ts, `vpn-client/` of the 0700 runtime directory):
 * the management socket, which only the user and the client reach, and the configuration the
 * client runs.
 */
export const MGMT_SOCKET = 'openvpn.sock';
export const RUN_CONFIG = 'openvpn.conf';

/** Seconds OpenVPN waits for a remote (TCP connect, or a first answer over UDP) before the next. */
export const CONNECT_TIMEOUT_SEC = 10;

/**
 * openvpn's argv (run in its jail), after the user's configuration so these win:
 * - no ifconfig, no routes: the tun is configured inside the sandbox after it is moved there;
 * - persist-tun: a reconnect keeps the same device, so the sandbox never gets a fresh one outside;
 * - management hold and password queries: nothing happens until the agent is listening, and
 *   secrets arrive over the socket, never in argv, environment or a file;
 * - auth-retry none: a wrong password ends the client once instead of retrying forever;
 * - script-security 0: nothing the configuration says can start a program;
 * - verb 3: at 4 and above OpenVPN prints its options and more; the agent also drops the
 *   management commands it echoes (at 3 these name the user) before anything reaches the log.
 */
export function openvpnArgv(configFile: string, configDir: string, socket: string): string[] {
  return [
    requireTool('openvpn'),
    '--cd', configDir,
    // Before the configuration, so a connect-timeout there wins. Through pasta a refused TCP
    // connection looks like silence: with OpenVPN's default of 120 s a dead remote would cost two
    // minutes before the next one is tried. A live server answers within a second or two.
    '--connect-timeout', String(CONNECT_TIMEOUT_SEC),
    '--config', configFile,
    '--dev', OPENVPN_DEV, '--dev-type', 'tun',
    '--ifconfig-noexec', '--route-noexec',
    '--persist-tun', '--persist-key',
    '--disable-dco',
    '--auth-retry', 'none',
    '--script-security', '0',
    '--management', socket, 'unix',
    '--management-hold', '--management-query-passwords',
    '--verb', '3', '--suppress-timestamps',
  ];
}

/** Writes the configuration the client runs into the runtime directory (0600); returns notes. */
export function writeOpenvpnConfig(cfg: OvpnConfig, file: string, hostLoopback: string): string[] {
  const { text, notes } = effectiveOvpn(cfg, hostLoopback);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return notes;
}
