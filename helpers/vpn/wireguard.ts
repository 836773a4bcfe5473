// WireGuard: the interface is born in the uplink (its UDP socket stays there), then moved into the sandbox.
import { SandtrayError } from '../core/errors.js';
import { requireTool } from '../host/tools.js';
import { runInNs } from '../network/nsenter.js';
import { isLoopbackHost } from './openvpn-config.js';
import type { WgConfig } from './wireguard-config.js';

export const WG_DEV = 'wg0';

/**
 * argv of wireguard-go, run in its jail in the uplink (vpn/jail.ts). It keeps its control socket in
 * /var/run/wireguard, which the jail has as a private folder; `wg` later finds the socket there
 * (nsenter into wireguard-go's namespaces).
 */
export function wireguardGoArgv(): string[] {
  return [requireTool('wireguard-go'), '--foreground', WG_DEV];
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
 * PersistentKeepalive when the file sets none, turns it off (0 or off) or sets one too long to
 * help. The uplink reaches the peer through pasta, which forgets a UDP flow idle for more than
 * 180 s (UDP_CONN_TIMEOUT in Debian 12's passt) and never opens it again for that source port, and
 * wireguard-go never changes its source port: an idle tunnel without keepalives would stay dead
 * until a restart. An explicit off is overridden too: it saves traffic on a direct link, but behind
 * pasta it only buys a tunnel that dies. 25 s is what wg-quick's documentation suggests behind NAT.
 */
export const DEFAULT_KEEPALIVE_SEC = 25;
/** A keepalive longer than this leaves pasta's flow idle too long. */
export const MAX_KEEPALIVE_SEC = 120;

/** The keepalive applied to each peer, and notes for the log where it is not the file's own. */
export function peerKeepalives(cfg: WgConfig): { values: number[]; notes: string[] } {
  const notes: string[] = [];
  const values = cfg.peers.map((p, i) => {
    const k = p.persistentKeepalive;
    if (k && k <= MAX_KEEPALIVE_SEC) return k;
    const why = k ? `its PersistentKeepalive of ${k} s is too long` : k === 0 ? 'its PersistentKeepalive is off' : 'it sets no PersistentKeepalive';
    notes.push(`peer ${i + 1}: ${why}; pasta forgets a UDP flow idle for about 180 s and the tunnel would not come back, so Sandtray sends a keepalive every ${DEFAULT_KEEPALIVE_SEC} s`);
    return DEFAULT_KEEPALIVE_SEC;
  });
  return { values, notes };
}

/**
 * The `wg setconf` text, with the private and preshared keys. It goes to wg's stdin only.
 * Loopback endpoints name the host's loopback, which the uplink reaches at hostLoopback.
 */
export function wgSetconfText(cfg: WgConfig, privateKey: string, presharedKeys: (string | null)[], hostLoopback: string): string {
  const keepalive = peerKeepalives(cfg).values;
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
    out.push(`PersistentKeepalive = ${keepalive[i]}`);
  });
  return out.join('\n') + '\n';
}

/**
 * Hands text on stdin to `wg setconf` through a pipe of its own (a FIFO in a fresh private folder
 * of /tmp), never a file: in the client's jail there is no /proc, so no /dev/stdin. With
 * wireguard-go that /tmp is the jail's own; the key is meant for wireguard-go anyway.
 */
export const WG_SETCONF_SCRIPT = [
  'set -u',
  'umask 077',
  'd=$(mktemp -d) || exit 1',
  // Not `mkfifo -m`: its chmod goes through /proc, which the jail has not.
  'mkfifo "$d/conf" || { rm -rf "$d"; exit 1; }',
  // An asynchronous command's stdin is /dev/null unless redirected: hand it ours as fd 3.
  'exec 3<&0',
  'cat <&3 > "$d/conf" & c=$!',
  'exec 3<&-',
  'wg setconf "$1" "$d/conf"; rc=$?',
  // A wg that failed before opening the pipe leaves cat waiting for a reader.
  'kill "$c" 2>/dev/null; wait "$c" 2>/dev/null',
  'rm -rf "$d"',
  'exit $rc',
].join('\n');

/** Loads keys and peers into the interface: in the uplink (userspace socket) or where the kernel device is. */
export async function wgSetconf(pid: number, namespaces: ('net' | 'mount')[], text: string): Promise<void> {
  requireTool('wg');
  await runInNs(pid, namespaces, ['/bin/sh', '-c', WG_SETCONF_SCRIPT, 'sh', WG_DEV], 'Loading the WireGuard keys', text);
}

/** A readable error for a failed WireGuard step. */
export function wgError(message: string, cause?: unknown): SandtrayError {
  return new SandtrayError('VPN', message, 'See `sandtray log NAME`; `sandtray doctor` checks for wireguard-go and wg.', cause);
}
