// WireGuard: the interface is born in the uplink (its UDP socket stays there), then moved into the sandbox.
import { SandtrayError } from '../core/errors.js';
import { requireTool } from '../host/tools.js';
import { nsenterArgv, runInNs } from '../network/nsenter.js';
import { isLoopbackHost } from './openvpn-config.js';
import type { WgConfig } from './wireguard-config.js';

export const WG_DEV = 'wg0';

/**
 * argv of wireguard-go in the uplink. It keeps its control socket in /var/run/wireguard, which an
 * unprivileged user cannot create on the host: it gets a mount namespace of its own with a private
 * /var, where `wg` later finds the socket (nsenter into wireguard-go's namespaces).
 */
export function wireguardGoArgv(uplinkPid: number): string[] {
  return [
    ...nsenterArgv(uplinkPid, ['net', 'mount']),
    requireTool('unshare'), '--mount', '--',
    '/bin/sh', '-c', 'set -e; mount -t tmpfs -o mode=0755,size=256k sandtray-wg /var; mkdir -p -m 0700 /var/run/wireguard; exec "$0" --foreground "$1"',
    requireTool('wireguard-go'), WG_DEV,
  ];
}

/** Tries the kernel module: true when the interface was created in the uplink. */
export async function createKernelWg(uplinkPid: number): Promise<boolean> {
  try {
    await runInNs(uplinkPid, ['net'], ['ip', 'link', 'add', 'dev', WG_DEV, 'type', 'wireguard'], 'Creating a WireGuard interface');
    return true;
  } catch {
    return false;
  }
}

/**
 * The `wg setconf` text, with the private and preshared keys. It goes to wg's stdin only.
 * Loopback endpoints name the host's loopback, which the uplink reaches at hostLoopback.
 */
export function wgSetconfText(cfg: WgConfig, privateKey: string, presharedKeys: (string | null)[], hostLoopback: string): string {
  const out = ['[Interface]', `PrivateKey = ${privateKey}`];
  if (cfg.listenPort) out.push(`ListenPort = ${cfg.listenPort}`);
  cfg.peers.forEach((p, i) => {
    out.push('[Peer]', `PublicKey = ${p.publicKey}`);
    const psk = presharedKeys[i];
    if (psk) out.push(`PresharedKey = ${psk}`);
    if (p.endpoint) {
      const host = isLoopbackHost(p.endpoint.host) ? hostLoopback : p.endpoint.host;
      out.push(`Endpoint = ${host.includes(':') ? `[${host}]` : host}:${p.endpoint.port}`);
    }
    out.push(`AllowedIPs = ${p.allowedIps.join(', ')}`);
    if (p.persistentKeepalive) out.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
  });
  return out.join('\n') + '\n';
}

/** Loads keys and peers into the interface: in the uplink (userspace socket) or where the kernel device is. */
export async function wgSetconf(pid: number, namespaces: ('net' | 'mount')[], text: string): Promise<void> {
  requireTool('wg');
  // Node hands stdin over as a socket, which wg cannot open as /dev/stdin: cat turns it into a pipe.
  await runInNs(pid, namespaces, ['/bin/sh', '-c', 'cat | wg setconf "$1" /dev/stdin', 'sh', WG_DEV], 'Loading the WireGuard keys', text);
}

/** Seconds since the epoch of each peer's latest handshake (0: never), read with `wg show`. */
export async function wgHandshakes(pid: number, namespaces: ('net' | 'mount')[]): Promise<number[]> {
  const out = await runInNs(pid, namespaces, ['wg', 'show', WG_DEV, 'latest-handshakes'], 'Reading the WireGuard state');
  return out.trim().split('\n').filter(Boolean).map((l) => Number(l.split('\t')[1] ?? 0));
}

/** A readable error for a failed WireGuard step. */
export function wgError(message: string, cause?: unknown): SandtrayError {
  return new SandtrayError('VPN', message, 'See `sandtray log NAME`; `sandtray doctor` checks for wireguard-go and wg.', cause);
}
