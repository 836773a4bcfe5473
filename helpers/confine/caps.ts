// Linux capabilities: names, numbers, and the set root inside a sandbox holds.
//
// Root inside a sandbox is root of its own user namespace, and entering a user namespace grants
// every capability in it. Sandtray lowers that to the set rootless podman gives a container
// (enough for package managers, chown, su and binding low ports) unless a profile asks for more
// with `capabilities: [...]`. CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_PTRACE are the
// ones that open kernel attack surface (mount, netlink and packet sockets, ptrace of every process
// inside), so they stay off by default.

/** Capability numbers from linux/capability.h (stable kernel ABI). */
export const CAPABILITIES = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10,
  NET_BROADCAST: 11,
  NET_ADMIN: 12,
  NET_RAW: 13,
  IPC_LOCK: 14,
  IPC_OWNER: 15,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_PACCT: 20,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
  SYS_NICE: 23,
  SYS_RESOURCE: 24,
  SYS_TIME: 25,
  SYS_TTY_CONFIG: 26,
  MKNOD: 27,
  LEASE: 28,
  AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30,
  SETFCAP: 31,
  MAC_OVERRIDE: 32,
  MAC_ADMIN: 33,
  SYSLOG: 34,
  WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36,
  AUDIT_READ: 37,
  PERFMON: 38,
  BPF: 39,
  CHECKPOINT_RESTORE: 40,
} as const;

export type CapName = keyof typeof CAPABILITIES;
export const CAP_NAMES = Object.keys(CAPABILITIES) as CapName[];

/** Rootless podman's default set (containers.conf default_capabilities). */
export const DEFAULT_CAPS: readonly CapName[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
];

/** What each capability beyond the default lets root inside do, in words for the risk summary. */
export const CAP_RISKS: Partial<Record<CapName, string>> = {
  SYS_ADMIN: 'mount file systems and use many privileged kernel interfaces inside the sandbox (a large kernel attack surface)',
  NET_ADMIN: "configure the sandbox's network: interfaces, routes, firewall rules (netlink reaches much kernel code); in nat mode, re-routing lets programs inside reach services on your machine's loopback (127.0.0.1)",
  NET_RAW: 'open raw and packet sockets (spoof packets on the networks the sandbox reaches)',
  SYS_PTRACE: 'trace and read the memory of processes in the sandbox that run as other users or hold more capabilities (root inside may already trace its own processes, as on any Linux system)',
};

/** Accepts `net_admin`, `NET_ADMIN` or `CAP_NET_ADMIN`; null when the name is unknown. */
export function parseCapName(text: string): CapName | null {
  const up = text.trim().toUpperCase().replace(/^CAP_/, '');
  return (CAP_NAMES as string[]).includes(up) ? (up as CapName) : null;
}

/** The set root inside holds: the default plus what the profile asks for, in number order. */
export function effectiveCapSet(extra: readonly CapName[]): CapName[] {
  const set = new Set<CapName>([...DEFAULT_CAPS, ...extra]);
  return CAP_NAMES.filter((c) => set.has(c));
}

/** The set as two 32-bit words (capset's layout): [caps 0-31, caps 32-63]. */
export function capMask(caps: readonly CapName[]): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const c of caps) {
    const n = CAPABILITIES[c];
    if (n < 32) lo = (lo | (1 << n)) >>> 0;
    else hi = (hi | (1 << (n - 32))) >>> 0;
  }
  return [lo, hi];
}
