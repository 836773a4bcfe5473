// What the uplink's pasta has to carry for one VPN: only the client's own traffic to its servers
// and DNS for their names. Every protocol pasta leaves out saves its memory (its TCP tables are
// most of its size), so the uplink carries what the configuration can use and nothing else.
import net from 'node:net';
import type { LoadedVpn } from './kinds.js';
import { isLoopbackHost } from './openvpn-config.js';
import type { OvpnEntry } from './openvpn-config.js';

export interface UplinkNeeds {
  /** A remote over TCP, or a proxy (always reached over TCP). */
  tcp: boolean;
  /** Every server is a literal IPv4 address (or the host's loopback, reached at the IPv4 gateway): IPv6 is not needed. */
  ipv4Only: boolean;
}

function hasProxy(entries: readonly OvpnEntry[]): boolean {
  return entries.some((e) => (e.kind === 'option' && (e.name === 'http-proxy' || e.name === 'socks-proxy')) || (e.kind === 'connection' && hasProxy(e.entries)));
}

/** An IPv4 server: a literal IPv4 address or a loopback name (rewritten to the IPv4 gateway). */
function ipv4Server(host: string): boolean {
  return isLoopbackHost(host) || net.isIPv4(host);
}

/**
 * What the uplink needs for this VPN. WireGuard is UDP only. OpenVPN needs TCP when a remote (or
 * the file's `proto`) says tcp, or when it goes through a proxy; a host name needs both address
 * families, since its address is learnt at connect time.
 */
export function uplinkNeeds(v: LoadedVpn): UplinkNeeds {
  if (v.type === 'wireguard') {
    const hosts = v.config.peers.map((p) => p.endpoint?.host).filter((h): h is string => h !== undefined);
    return { tcp: false, ipv4Only: hosts.every(ipv4Server) };
  }
  const proxy = hasProxy(v.config.entries);
  const tcp = proxy || v.config.remotes.some((r) => (r.proto ?? v.config.proto).startsWith('tcp'));
  return { tcp, ipv4Only: !proxy && v.config.remotes.length > 0 && v.config.remotes.every((r) => ipv4Server(r.host)) };
}
