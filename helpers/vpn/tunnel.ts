// Tunnel settings (addresses, routes, MTU, DNS) from what OpenVPN pushed or a wg-quick file says,
// and the `ip -batch` lines that apply them inside the sandbox's network namespace.
import type { OvpnDirective } from './openvpn-config.js';
import type { WgConfig } from './wireguard-config.js';
import { isCidr } from './wireguard-config.js';

export interface TunnelAddress {
  /** address/prefix */
  address: string;
  /** Point-to-point peer (OpenVPN net30/p2p topology). */
  peer?: string;
}

export interface TunnelSettings {
  dev: string;
  mtu: number;
  addresses: TunnelAddress[];
  /** Destinations routed into the tunnel, as prefixes; 0.0.0.0/0 and ::/0 are default routes. */
  routes: string[];
  dns: string[];
  domains: string[];
  /** Pushed or configured items that were not applied, with the reason. */
  skipped: string[];
}

/** Number of leading one bits of a dotted netmask, or null when it is not a netmask. */
export function maskBits(mask: string): number | null {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  const n = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const bits = 32 - Math.log2((~n >>> 0) + 1);
  return Number.isInteger(bits) ? bits : null;
}

function isIpv4(s: string): boolean {
  return isCidr(s) && !s.includes('/') && !s.includes(':');
}

/** The options of a PUSH_REPLY control message, in order (continuations are joined by the caller). */
export function splitPushReply(message: string): string[] {
  const body = message.replace(/^PUSH_REPLY,?/, '');
  return body.split(',').map((s) => s.trim()).filter(Boolean);
}

/** First pull-filter that matches an option decides: accept, ignore or reject (treated as ignore). */
function pulledAllowed(option: string, filters: { action: string; text: string }[]): boolean {
  for (const f of filters) if (option.startsWith(f.text)) return f.action === 'accept';
  return true;
}

/**
 * Settings for an OpenVPN tunnel: the config's own route/dhcp-option lines plus the pushed options
 * (PUSH_REPLY), honouring route-nopull and pull-filter as OpenVPN does.
 */
export function openvpnTunnel(pushed: readonly string[], config: readonly OvpnDirective[], dev: string): TunnelSettings {
  const s: TunnelSettings = { dev, mtu: 1500, addresses: [], routes: [], dns: [], domains: [], skipped: [] };
  const filters = config.filter((d) => d.name === 'pull-filter' && d.args.length >= 2).map((d) => ({ action: d.args[0]!, text: d.args.slice(1).join(' ') }));
  const routeNopull = config.some((d) => d.name === 'route-nopull');
  const opts: { name: string; args: string[]; pushed: boolean }[] = config.map((d) => ({ name: d.name, args: d.args, pushed: false }));
  for (const o of pushed) {
    if (!pulledAllowed(o, filters)) {
      s.skipped.push(`${o} (pull-filter)`);
      continue;
    }
    const [name, ...args] = o.split(/\s+/);
    if (routeNopull && ['route', 'route-ipv6', 'redirect-gateway'].includes(name!)) {
      s.skipped.push(`${o} (route-nopull)`);
      continue;
    }
    opts.push({ name: name!, args, pushed: true });
  }
  const topology = opts.filter((o) => o.name === 'topology').at(-1)?.args[0] ?? 'net30';
  const add = (route: string) => {
    if (!s.routes.includes(route)) s.routes.push(route);
  };
  for (const o of opts) {
    const [a, b, c] = o.args;
    switch (o.name) {
      case 'tun-mtu':
        if (Number(a) >= 576 && Number(a) <= 65535) s.mtu = Number(a);
        break;
      case 'ifconfig':
        if (!o.pushed && !a) break;
        if (a && b && isIpv4(a) && isIpv4(b)) {
          const bits = topology === 'subnet' ? maskBits(b) : null;
          // Only the last ifconfig counts (the pushed one replaces a configured one).
          s.addresses = s.addresses.filter((x) => x.address.includes(':'));
          s.addresses.push(bits !== null ? { address: `${a}/${bits}` } : { address: `${a}/32`, peer: b });
        }
        break;
      case 'ifconfig-ipv6':
        if (a && isCidr(a) && a.includes(':')) {
          s.addresses = s.addresses.filter((x) => !x.address.includes(':'));
          s.addresses.push({ address: a.includes('/') ? a : `${a}/128` });
        }
        break;
      case 'route': {
        if (!a || !isIpv4(a)) {
          s.skipped.push(`route ${o.args.join(' ')} (not an address)`);
          break;
        }
        // net_gateway means "around the tunnel through the local network": the sandbox has none.
        if (c === 'net_gateway') {
          s.skipped.push(`route ${o.args.join(' ')} (bypasses the tunnel)`);
          break;
        }
        const bits = b && b !== 'default' ? maskBits(b) : 32;
        if (bits === null) {
          s.skipped.push(`route ${o.args.join(' ')} (bad netmask)`);
          break;
        }
        add(`${a}/${bits}`);
        break;
      }
      case 'route-ipv6':
        if (a && isCidr(a) && a.includes(':') && c !== 'net_gateway') add(a.includes('/') ? a : `${a}/128`);
        break;
      case 'redirect-gateway':
      case 'redirect-private': {
        if (o.name === 'redirect-private') break;
        if (!o.args.includes('!ipv4')) add('0.0.0.0/0');
        if (o.args.includes('ipv6')) add('::/0');
        break;
      }
      case 'dhcp-option': {
        const kind = (a ?? '').toUpperCase();
        if ((kind === 'DNS' || kind === 'DNS6') && b && isCidr(b) && !b.includes('/')) {
          if (!s.dns.includes(b)) s.dns.push(b);
        } else if ((kind === 'DOMAIN' || kind === 'DOMAIN-SEARCH' || kind === 'ADAPTER_DOMAIN_SUFFIX') && b && /^[A-Za-z0-9.-]+$/.test(b)) {
          if (!s.domains.includes(b)) s.domains.push(b);
        }
        break;
      }
      case 'dns': {
        // OpenVPN 2.6: "dns server N address A[:port]..." and "dns search-domains D...".
        if (a === 'server' && c === 'address') {
          for (const addr of o.args.slice(3)) {
            const host = addr.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^([\d.]+):\d+$/, '$1');
            if (isCidr(host) && !host.includes('/') && !s.dns.includes(host)) s.dns.push(host);
          }
        } else if (a === 'search-domains') {
          for (const d of o.args.slice(1)) if (/^[A-Za-z0-9.-]+$/.test(d) && !s.domains.includes(d)) s.domains.push(d);
        }
        break;
      }
    }
  }
  return routesWithAddresses(s);
}

/**
 * Routes of an IP version the tunnel has no address of are left out (and said in skipped): with
 * such a route a connection leaves with no usable source address and waits for an answer that
 * never comes; without it, it fails at once (ENETUNREACH) and programs fall back to the other
 * version. A common case: `AllowedIPs = 0.0.0.0/0, ::/0` with an IPv4 address only.
 */
export function routesWithAddresses(s: TunnelSettings): TunnelSettings {
  const has = (v6: boolean) => s.addresses.some((a) => a.address.includes(':') === v6);
  const routes: string[] = [];
  const skipped = [...s.skipped];
  for (const r of s.routes) {
    const v6 = r.includes(':');
    if (has(v6)) routes.push(r);
    else skipped.push(`route ${r} (the tunnel has no IPv${v6 ? 6 : 4} address)`);
  }
  return { ...s, routes, skipped };
}

/** Settings for a WireGuard tunnel: wg-quick semantics, routes are the peers' AllowedIPs. */
export function wireguardTunnel(cfg: WgConfig, dev: string): TunnelSettings {
  const routes: string[] = [];
  for (const p of cfg.peers) for (const a of p.allowedIps) if (!routes.includes(a)) routes.push(a);
  return routesWithAddresses({
    dev,
    mtu: cfg.mtu ?? 1420,
    addresses: cfg.addresses.map((a) => ({ address: a.includes('/') ? a : `${a}/${a.includes(':') ? 128 : 32}` })),
    routes,
    dns: [...cfg.dns],
    domains: [...cfg.searchDomains],
    skipped: [],
  });
}

/**
 * `ip -batch` lines for the sandbox's namespace. Routes name only the tunnel device: nothing else
 * exists there, so whatever is not routed into the tunnel has no route at all (the kill switch).
 */
export function ipBatch(s: TunnelSettings): string {
  const lines = [`link set dev ${s.dev} mtu ${s.mtu} up`, `address flush dev ${s.dev}`];
  for (const a of s.addresses) lines.push(a.peer ? `address add ${a.address.split('/')[0]} peer ${a.peer} dev ${s.dev}` : `address add ${a.address} dev ${s.dev}`);
  // ip picks the family from the prefix; "default" alone would mean IPv4.
  for (const r of s.routes) lines.push(`route replace ${r === '0.0.0.0/0' ? 'default' : r} dev ${s.dev}`);
  return lines.join('\n') + '\n';
}

/** The sandbox's resolv.conf for a tunnel. */
export function tunnelResolvConf(s: Pick<TunnelSettings, 'dns' | 'domains'>, vpnName: string): string {
  const out = [`# Generated by Sandtray: DNS of the VPN of sandbox ${vpnName}, reached through the tunnel only.`];
  if (!s.dns.length) out.push('# The VPN gave no DNS server: names resolve from /etc/hosts only.');
  for (const d of s.dns.slice(0, 3)) out.push(`nameserver ${d}`);
  if (s.domains.length) out.push(`search ${s.domains.slice(0, 6).join(' ')}`);
  return out.join('\n') + '\n';
}
