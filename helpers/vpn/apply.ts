// Putting a tunnel device into the sandbox: move it out of the uplink, configure it, point DNS at the VPN.
import fs from 'node:fs';
import { runInNs } from '../network/nsenter.js';
import { deviceBytes } from './status.js';
import { ipBatch, tunnelResolvConf, type TunnelSettings } from './tunnel.js';

/** True when the device exists in the network namespace of pid. */
export function hasDevice(pid: number, dev: string): boolean {
  return deviceBytes(pid, dev) !== null;
}

/**
 * Moves dev from the uplink's namespace into the sandbox's. The device keeps its socket (the
 * client's UDP/TCP socket) in the uplink: packets entering it inside leave only encrypted, outside.
 */
export async function moveDevice(uplinkPid: number, initPid: number, dev: string): Promise<void> {
  await runInNs(uplinkPid, ['net'], ['ip', 'link', 'set', 'dev', dev, 'netns', String(initPid)], `Moving ${dev} into the sandbox`);
}

/** Sets addresses, MTU and routes of the tunnel inside the sandbox. */
export async function configureDevice(initPid: number, s: TunnelSettings): Promise<void> {
  await runInNs(initPid, ['net'], ['ip', '-batch', '-'], `Configuring ${s.dev}`, ipBatch(s));
}

/**
 * Rewrites the sandbox's resolv.conf in place: it is bind-mounted into the running sandbox, so
 * replacing the file would leave the sandbox with the old one. O_NOFOLLOW: never write through a link.
 */
export function writeResolvConf(file: string, s: Pick<TunnelSettings, 'dns' | 'domains'>, name: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW | fs.constants.O_CREAT, 0o644);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new Error(`${file} is not a regular file`);
    const text = tunnelResolvConf(s, name);
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, text, 0);
  } finally {
    fs.closeSync(fd);
  }
}
