// `sandtray vpn verify NAME`: a leak check from inside a running VPN sandbox. It reads the
// sandbox's own network namespace (devices, addresses, routes) and its resolv.conf, and asks the
// kernel there which way the DNS servers, the uplink (pasta's link and gateway) and the host's
// addresses would go (`ip route get`: a route lookup, no packet is sent). It sends nothing
// anywhere, inside or out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import { runInNs } from '../network/nsenter.js';
import { PASTA_LINK, PASTA_LINK6 } from '../network/pasta.js';
import { sandboxState } from '../runtime/state.js';
import { vpnView } from './view.js';
import type { VpnType } from '../profile/schema.js';

export interface VerifyCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  name: string;
  type: VpnType;
  tunnel: string;
  device: string;
  time: string;
  checks: VerifyCheck[];
  /** "no leak found" when every check passed. */
  verdict: 'no leak found' | 'leak found';
}

type Ip = (args: string[]) => Promise<unknown>;

interface IpLink { ifname: string }
interface IpAddr { ifname: string; addr_info?: { family: string; local: string; prefixlen: number; scope: string }[] }
interface IpRoute { dst?: string; dev?: string; type?: string; table?: string; gateway?: string }

/** Which way the kernel inside would send a packet to addr: the device, or null when unreachable. */
async function routeDev(ip: Ip, addr: string): Promise<string | null> {
  try {
    const r = (await ip(['route', 'get', addr])) as IpRoute[];
    const first = r[0];
    if (!first || first.type === 'unreachable' || first.type === 'prohibit' || first.type === 'blackhole') return null;
    return first.dev ?? null;
  } catch {
    // "Network is unreachable": no route at all.
    return null;
  }
}

/** The nameservers of a resolv.conf text. */
export function nameservers(text: string): string[] {
  return text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
}

/** The checks, from what the namespace shows (ip is `ip -j ARGS` inside). Exported for tests. */
export async function leakChecks(ip: Ip, dev: string, resolvConf: string, hostAddrs: readonly string[]): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [];
  const links = ((await ip(['link', 'show'])) as IpLink[]).map((l) => l.ifname);
  const others = links.filter((l) => l !== 'lo' && l !== dev);
  checks.push({ check: 'devices', ok: others.length === 0 && links.includes(dev), detail: others.length ? `devices besides lo and the tunnel: ${others.join(', ')}` : links.includes(dev) ? `lo and ${dev} only` : `the tunnel device ${dev} is missing` });

  for (const family of ['-4', '-6'] as const) {
    const v = family === '-4' ? 'IPv4' : 'IPv6';
    const routes = (await ip([family, 'route', 'show', 'table', 'all'])) as IpRoute[];
    const off = routes.filter((r) => r.dev && r.dev !== dev && r.dev !== 'lo' && r.type !== 'unreachable');
    const def = routes.filter((r) => r.dst === 'default' && (r.table === undefined || r.table === 'main'));
    const defOut = def.filter((r) => r.dev !== dev);
    checks.push({
      check: `${v} routes`,
      ok: off.length === 0 && defOut.length === 0,
      detail: off.length || defOut.length
        ? `routes outside the tunnel: ${[...off, ...defOut].map((r) => `${r.dst ?? '?'} dev ${r.dev ?? '?'}`).join(', ')}`
        : def.length
          ? `default route through ${dev}`
          : routes.some((r) => r.dev === dev && r.table !== 'local')
            ? `no default route: only the tunnel's own routes, everything else is unreachable`
            : `no ${v} route: ${v} is blocked`,
    });
  }

  const addrs = (await ip(['address', 'show'])) as IpAddr[];
  const outside = addrs.filter((a) => a.ifname !== dev && a.ifname !== 'lo').flatMap((a) => (a.addr_info ?? []).map((i) => `${i.local} on ${a.ifname}`));
  checks.push({ check: 'addresses', ok: outside.length === 0, detail: outside.length ? `addresses outside the tunnel: ${outside.join(', ')}` : `only on lo and ${dev}` });

  const servers = nameservers(resolvConf);
  if (!servers.length) checks.push({ check: 'DNS', ok: true, detail: 'no DNS server is configured (names do not resolve)' });
  for (const s of servers) {
    const d = await routeDev(ip, s);
    checks.push({ check: `DNS ${s}`, ok: d === dev, detail: d === dev ? `through ${dev}` : d === null ? 'unreachable: names do not resolve' : `through ${d}, outside the tunnel` });
  }

  // The uplink: pasta's link and gateway (the host's loopback) must be beyond reach, or behind the
  // tunnel (then they are the VPN's addresses, not the uplink's).
  const outsideTargets: [string, string][] = [
    [`uplink gateway ${PASTA_LINK.gateway}`, PASTA_LINK.gateway],
    [`uplink address ${PASTA_LINK.address}`, PASTA_LINK.address],
    [`uplink gateway ${PASTA_LINK6.gateway}`, PASTA_LINK6.gateway],
    // The host's addresses are numbered, not shown: the report is meant to be pasted in public.
    ...hostAddrs.map((a, i): [string, string] => [`host address ${i + 1} of ${hostAddrs.length}`, a]),
  ];
  for (const [label, addr] of outsideTargets) {
    const d = await routeDev(ip, addr);
    checks.push({ check: label, ok: d === null || d === dev, detail: d === null ? 'unreachable' : d === dev ? `only through ${dev} (the VPN's network, not the uplink)` : `reachable through ${d}, outside the tunnel` });
  }
  return checks;
}

/** The host's own addresses (not loopback or link-local), to check they are out of reach. */
function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((l) => l ?? []).filter((i) => !i.internal && !i.address.toLowerCase().startsWith('fe80')).map((i) => i.address);
}

/** Runs the leak check on a running VPN sandbox whose tunnel is connected. */
export async function verifyVpn(name: string, paths?: Paths): Promise<VerifyReport> {
  const v = vpnView(name, paths);
  const { state, runtime, dirs } = sandboxState(name, paths);
  if (state !== 'RUNNING' || !runtime?.init) throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is ${state}`, `Start it with \`sandtray start ${name}\`, then run the check again.`);
  if (!v.device) throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" has no tunnel information yet`, 'Wait for `sandtray vpn status` to show it, then try again.');
  const pid = runtime.init.pid;
  const ip: Ip = async (args) => JSON.parse((await runInNs(pid, ['net'], ['ip', '-j', ...args], `ip ${args.join(' ')} in the sandbox`)) || '[]') as unknown;
  let resolv = '';
  try {
    resolv = fs.readFileSync(path.join(dirs.etc, 'resolv.conf'), 'utf8');
  } catch {
    // none: reported as "no DNS server"
  }
  const checks = await leakChecks(ip, v.device, resolv, hostAddresses());
  if (v.state !== 'connected') checks.unshift({ check: 'tunnel', ok: true, detail: `the tunnel is ${v.state}${v.message ? ` (${v.message})` : ''}: the routes it would use are not all in place yet` });
  return { name, type: v.type, tunnel: v.state, device: v.device, time: new Date().toISOString(), checks, verdict: checks.every((c) => c.ok) ? 'no leak found' : 'leak found' };
}

/** The report as a user can paste it into a bug report. */
export function verifyText(r: VerifyReport, version: string): string {
  const w = Math.max(...r.checks.map((c) => c.check.length));
  return [
    `Sandtray ${version} VPN leak check of ${r.name} (${r.type}, tunnel ${r.tunnel} on ${r.device}) at ${r.time}`,
    ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'LEAK'}  ${c.check.padEnd(w)}  ${c.detail}`),
    `Verdict: ${r.verdict} (${r.checks.filter((c) => !c.ok).length} of ${r.checks.length} checks failed)`,
    "Checked from inside the sandbox: its devices, addresses and routes, and which way the kernel there would send to its DNS servers, the uplink and the host's own addresses (not shown here); route lookups only, no packet sent.",
  ].join('\n');
}
