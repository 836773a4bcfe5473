// pasta (passt) user-mode NAT into a network namespace we own, with fixed link addresses.
import fs from 'node:fs';
import { requireTool } from '../host/tools.js';
import type { HelperProc } from './driver.js';
import { spawnHelper, waitFor } from './helper-proc.js';

/**
 * Addresses of the pasta link inside a namespace. They are fixed rather than copied from the host
 * (pasta's default), so that "the gateway" never names a real machine on the user's network:
 * with loopback mapping on, 198.19.255.1 is the host's loopback and nothing else. 198.18.0.0/15
 * is reserved for benchmarking networks and is not routed on the Internet.
 */
export const PASTA_LINK = { address: '198.19.255.2', prefix: 24, gateway: '198.19.255.1', dns: '198.19.255.3' } as const;

export interface PastaOptions {
  /** A process whose network and user namespaces pasta joins. */
  nsPid: number;
  /** Map the gateway address to the host's loopback (uplink of a VPN: lets a config name 127.0.0.1). */
  mapHostLoopback: boolean;
}

/** pasta's argv: no port forwarding either way, DNS forwarded to the host's resolver, stay in the foreground. */
export function pastaArgv(opts: PastaOptions): string[] {
  return [
    requireTool('pasta'),
    '--config-net',
    '-a', PASTA_LINK.address, '-n', String(PASTA_LINK.prefix), '-g', PASTA_LINK.gateway,
    '--dns-forward', PASTA_LINK.dns,
    // pasta forwards every bound port both ways by default ("auto"): a sandbox could then reach
    // services on the host's loopback through its own 127.0.0.1, or publish ports on the host.
    '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none',
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
export async function startPasta(opts: PastaOptions, logFile: string, what = 'pasta'): Promise<HelperProc> {
  const h = spawnHelper(pastaArgv(opts), { what, logFile });
  await waitFor(() => hasDefaultRoute(opts.nsPid), 10_000, 'pasta did not configure the network link in time', h);
  return h;
}
