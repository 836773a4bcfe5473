// Checks of `network.ports` against this host: a port below the unprivileged limit, or one taken, cannot be bound.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { SandtrayError } from '../core/errors.js';
import type { PortForward, Profile } from '../profile/schema.js';

/** The lowest port an ordinary user may bind (net.ipv4.ip_unprivileged_port_start; 1024 unless changed). */
export function unprivilegedPortStart(): number {
  try {
    const n = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    return Number.isInteger(n) ? n : 1024;
  } catch {
    return 1024;
  }
}

/** Problems of the profile's forwarded ports on this host, as `key: what is wrong`. */
export function portProblems(p: Profile): string[] {
  const low = unprivilegedPortStart();
  return p.network.ports
    .filter((f) => f.host < low)
    .map((f) => `network.ports: host port ${f.host}/${f.proto} is below ${low}, which only root may listen on; use a port of ${low} or above (the port inside can stay ${f.sandbox})`);
}

/**
 * Fails with a clear message when a forwarded host port is already taken (by another program or
 * sandbox): pasta would only say it could not bind. Checked just before pasta or the relay binds.
 */
export async function checkPortsFree(ports: readonly PortForward[]): Promise<void> {
  for (const f of ports) {
    const err = await tryBind(f);
    if (!err) continue;
    const inUse = err === 'EADDRINUSE';
    throw new SandtrayError(
      'START_FAILED',
      inUse ? `host port ${f.host}/${f.proto} on ${f.address} is already in use` : `cannot listen on host port ${f.host}/${f.proto} on ${f.address} (${err})`,
      inUse ? `Stop what listens there (\`ss -${f.proto === 'tcp' ? 't' : 'u'}lnp | grep :${f.host}\`), or give network.ports another host port.` : 'Check network.ports: the address must be one of this machine\'s.',
    );
  }
}

function tryBind(f: PortForward): Promise<string | null> {
  return new Promise((resolve) => {
    if (f.proto === 'udp') {
      const s = dgram.createSocket(f.address.includes(':') ? 'udp6' : 'udp4');
      s.once('error', (e: NodeJS.ErrnoException) => {
        s.close();
        resolve(e.code ?? e.message);
      });
      s.bind(f.host, f.address, () => s.close(() => resolve(null)));
      return;
    }
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen({ port: f.host, host: f.address, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}
