// pasta (passt) user-mode NAT into a network namespace we own, with fixed link addresses.
import fs from 'node:fs';
import { requireTool } from '../host/tools.js';
import type { PortForward } from '../profile/schema.js';
import type { HelperProc } from './driver.js';
import { spawnHelper, waitFor } from './helper-proc.js';

/**
 * Addresses of the pasta link inside a namespace. They are fixed rather than copied from the host
 * (pasta's default), so that "the gateway" never names a real machine on the user's network:
 * with loopback mapping on, 198.19.255.1 is the host's loopback and nothing else. 198.18.0.0/15
 * is reserved for benchmarking networks and is not routed on the Internet.
 */
export const PASTA_LINK = { address: '198.19.255.2', prefix: 24, gateway: '198.19.255.1', dns: '198.19.255.3' } as const;

/**
 * The same for IPv6. Without these, pasta copies the host's global IPv6 address and gateway into
 * the namespace, so a program inside would learn the host's address (and, with loopback mapping,
 * the user's real router would be hidden behind the host's ::1). The prefix is a unique local one
 * (RFC 4193, fd00::/8 with a random global id), so it is routed nowhere; pasta translates every
 * connection at the socket level, so the address never leaves the namespace. A unique local
 * source also makes programs prefer IPv4 for destinations that have both (RFC 6724). Where the host
 * has no IPv6 route, Debian 12's pasta gives the namespace no IPv6 beyond link-local (later versions
 * may still configure the fixed address).
 */
export const PASTA_LINK6 = { address: 'fdb1:7bde:e96d::2', prefix: 64, gateway: 'fdb1:7bde:e96d::1' } as const;

export interface PastaOptions {
  /** A process whose network and user namespaces pasta joins. */
  nsPid: number;
  /** Map the gateway address to the host's loopback (uplink of a VPN: lets a config name 127.0.0.1). */
  mapHostLoopback: boolean;
  /** Host ports forwarded into the namespace (`network.ports`); none when absent. */
  ports?: readonly PortForward[];
  /**
   * The uplink of a VPN sandbox: only what its client uses. No ICMP (the client never pings
   * through it), no TCP when every server is reached over UDP, IPv4 only when every server is an
   * IPv4 address. pasta sizes its tables per protocol: each one left out saves memory.
   */
  uplink?: { tcp: boolean; ipv4Only: boolean };
}

/**
 * pasta's -t or -u value for the forwards of one protocol: ADDRESS/HOSTPORT:PORT, each bound to
 * its address only (pasta takes the option once per forward), or `none`.
 */
export function portSpecs(ports: readonly PortForward[] | undefined, proto: PortForward['proto']): string[] {
  const flag = proto === 'tcp' ? '-t' : '-u';
  const mine = (ports ?? []).filter((p) => p.proto === proto);
  if (!mine.length) return [flag, 'none'];
  return mine.flatMap((p) => [flag, `${p.address}/${p.host}:${p.sandbox}`]);
}

/** A forward in words: `127.0.0.1:8080 -> 80/tcp`. */
export function portText(p: PortForward): string {
  return `${p.address.includes(':') ? `[${p.address}]` : p.address}:${p.host} -> ${p.sandbox}/${p.proto}`;
}

/** pasta's argv: fixed addresses, no port forwarding but the profile's own, DNS forwarded to the host's resolver, stay in the foreground. */
export function pastaArgv(opts: PastaOptions): string[] {
  return [
    requireTool('pasta'),
    '--config-net',
    '-a', PASTA_LINK.address, '-n', String(PASTA_LINK.prefix), '-g', PASTA_LINK.gateway,
    '--dns-forward', PASTA_LINK.dns,
    // pasta takes -a and -g once per IP version; its IPv6 prefix is always /64.
    ...(opts.uplink?.ipv4Only ? ['-4'] : ['-a', PASTA_LINK6.address, '-g', PASTA_LINK6.gateway]),
    ...(opts.uplink ? ['--no-icmp', ...(opts.uplink.tcp ? [] : ['--no-tcp'])] : []),
    // pasta forwards every bound port both ways by default ("auto"): a sandbox could then reach
    // services on the host's loopback through its own 127.0.0.1, or publish ports on the host.
    // Only the profile's `network.ports` listen on the host, each on its own address.
    ...portSpecs(opts.ports, 'tcp'), ...portSpecs(opts.ports, 'udp'), '-T', 'none', '-U', 'none',
    ...(opts.mapHostLoopback ? [] : ['--no-map-gw']),
    '--foreground', '--quiet',
    '--netns', `/proc/${opts.nsPid}/ns/net`, '--userns', `/proc/${opts.nsPid}/ns/user`,
  ];
}

/** True when the namespace of pid has a default route (pasta has configured its link). */
export function hasDefaultRoute(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/net/route`, 'utf8').split('\n').slice(1).some((l) => l.split('\t')[1] === '00000000');
  } catch {
    return false;
  }
}

/** Starts pasta for the namespace and waits until its link is configured. */
export async function startPasta(opts: PastaOptions, logFile: string, what = 'pasta', onSpawned?: (h: HelperProc) => void): Promise<HelperProc> {
  const h = spawnHelper(pastaArgv(opts), { what, logFile });
  onSpawned?.(h);
  await waitFor(() => hasDefaultRoute(opts.nsPid), 10_000, 'pasta did not configure the network link in time', h);
  return h;
}
