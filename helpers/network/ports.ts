// Checks of `network.ports` against this host: a port below the unprivileged limit cannot be bound by pasta.
import fs from 'node:fs';
import type { Profile } from '../profile/schema.js';

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
