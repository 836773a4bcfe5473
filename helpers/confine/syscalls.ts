// System call numbers for the ABIs the seccomp filter covers, and for the enter helper's calls.
//
// Only the calls Sandtray names are listed, not whole tables: the seccomp rules, and the calls the
// enter helper makes itself. Numbers are stable kernel ABI, taken from the kernel's uapi headers
// (asm/unistd_64.h, asm/unistd_32.h, asm-generic/unistd.h); a unit test compares every entry with
// the headers installed on the build machine.
//
// i386 is listed because an x86_64 kernel also runs 32-bit programs (and `int $0x80` from a 64-bit
// one): those calls reach the filter under their own architecture and their own numbers, so the
// filter must check them against this table, not the x86_64 one.

export type SyscallArch = 'x86_64' | 'i386' | 'aarch64';

/** Every name a table answers for. */
export const SYSCALL_NAMES = [
  // kernel keyrings
  'add_key', 'keyctl', 'request_key',
  // profiling, page-fault handling, BPF, kernel log
  'perf_event_open', 'userfaultfd', 'bpf', 'syslog',
  // loading kernel code
  'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  // host-wide administration and raw hardware access
  'acct', 'quotactl', 'iopl', 'ioperm', 'open_by_handle_at',
  // obsolete interfaces
  'uselib', 'nfsservctl', 'lookup_dcookie', 'vm86', 'vm86old',
  // asynchronous I/O rings
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  // NUMA memory placement
  'move_pages', 'migrate_pages', 'mbind', 'get_mempolicy', 'set_mempolicy',
  // filtered by argument
  'personality', 'ioctl', 'clone',
  // namespaces and mounts
  'unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root', 'clone3',
  'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr',
  // the enter helper's own calls
  'prctl', 'capset', 'seccomp', 'setgroups', 'setgroups32', 'setresuid', 'setresuid32', 'setresgid',
  'setresgid32', 'close', 'close_range', 'execve', 'setsid',
  // the launch step's own (runtime/launch-step.ts)
  'openat', 'dup3',
] as const;

export type SyscallName = (typeof SYSCALL_NAMES)[number];

/**
 * A number, or null for a call this ABI does not have (aarch64 has no iopl and only umount2; only
 * i386 has vm86 and the `32` id calls). A rule naming such a call is skipped on that ABI, on purpose.
 */
export type SyscallTable = Readonly<Record<SyscallName, number | null>>;

const X86_64: SyscallTable = {
  add_key: 248, keyctl: 250, request_key: 249,
  perf_event_open: 298, userfaultfd: 323, bpf: 321, syslog: 103,
  kexec_load: 246, kexec_file_load: 320, init_module: 175, finit_module: 313, delete_module: 176,
  acct: 163, quotactl: 179, iopl: 172, ioperm: 173, open_by_handle_at: 304,
  uselib: 134, nfsservctl: 180, lookup_dcookie: 212, vm86: null, vm86old: null,
  io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
  move_pages: 279, migrate_pages: 256, mbind: 237, get_mempolicy: 239, set_mempolicy: 238,
  personality: 135, ioctl: 16, clone: 56,
  unshare: 272, setns: 308, mount: 165, umount: null, umount2: 166, pivot_root: 155, clone3: 435,
  open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, mount_setattr: 442,
  prctl: 157, capset: 126, seccomp: 317, setgroups: 116, setgroups32: null, setresuid: 117, setresuid32: null,
  setresgid: 119, setresgid32: null, close: 3, close_range: 436, execve: 59, setsid: 112,
  openat: 257, dup3: 292,
};

// On i386 the plain setgroups/setresuid/setresgid take 16-bit ids; the `32` calls are the ones
// glibc uses.
const I386: SyscallTable = {
  add_key: 286, keyctl: 288, request_key: 287,
  perf_event_open: 336, userfaultfd: 374, bpf: 357, syslog: 103,
  kexec_load: 283, kexec_file_load: null, init_module: 128, finit_module: 350, delete_module: 129,
  acct: 51, quotactl: 131, iopl: 110, ioperm: 101, open_by_handle_at: 342,
  uselib: 86, nfsservctl: 169, lookup_dcookie: 253, vm86: 166, vm86old: 113,
  io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
  move_pages: 317, migrate_pages: 294, mbind: 274, get_mempolicy: 275, set_mempolicy: 276,
  personality: 136, ioctl: 54, clone: 120,
  unshare: 310, setns: 346, mount: 21, umount: 22, umount2: 52, pivot_root: 217, clone3: 435,
  open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, mount_setattr: 442,
  prctl: 172, capset: 185, seccomp: 354, setgroups: 81, setgroups32: 206, setresuid: 164, setresuid32: 208,
  setresgid: 170, setresgid32: 210, close: 6, close_range: 436, execve: 11, setsid: 66,
  openat: 295, dup3: 330,
};

// aarch64 uses the generic table (asm-generic/unistd.h), which left out the calls that newer ones
// replace (umount, uselib) and the x86-only ones.
const AARCH64: SyscallTable = {
  add_key: 217, keyctl: 219, request_key: 218,
  perf_event_open: 241, userfaultfd: 282, bpf: 280, syslog: 116,
  kexec_load: 104, kexec_file_load: 294, init_module: 105, finit_module: 273, delete_module: 106,
  acct: 89, quotactl: 60, iopl: null, ioperm: null, open_by_handle_at: 265,
  uselib: null, nfsservctl: 42, lookup_dcookie: 18, vm86: null, vm86old: null,
  io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
  move_pages: 239, migrate_pages: 238, mbind: 235, get_mempolicy: 236, set_mempolicy: 237,
  personality: 92, ioctl: 29, clone: 220,
  unshare: 97, setns: 268, mount: 40, umount: null, umount2: 39, pivot_root: 41, clone3: 435,
  open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, mount_setattr: 442,
  prctl: 167, capset: 91, seccomp: 277, setgroups: 159, setgroups32: null, setresuid: 147, setresuid32: null,
  setresgid: 149, setresgid32: null, close: 57, close_range: 436, execve: 221, setsid: 157,
  openat: 56, dup3: 24,
};

export const SYSCALL_TABLES: Readonly<Record<SyscallArch, SyscallTable>> = {
  x86_64: X86_64,
  i386: I386,
  aarch64: AARCH64,
};

function isSyscallName(name: string): name is SyscallName {
  return (SYSCALL_NAMES as readonly string[]).includes(name);
}

/**
 * The number of `name` on `arch`, or null when that ABI has no such call. Throws for a name no
 * table lists, so a misspelt rule fails the build instead of silently filtering nothing.
 */
export function lookupSyscall(arch: SyscallArch, name: string): number | null {
  if (!isSyscallName(name)) throw new Error(`unknown system call: ${name}`);
  return SYSCALL_TABLES[arch][name];
}

/** The number of `name` on `arch`; throws for an unknown name and for a call the ABI lacks. */
export function syscallNumber(arch: SyscallArch, name: string): number {
  const nr = lookupSyscall(arch, name);
  if (nr === null) throw new Error(`${arch} has no ${name} system call`);
  return nr;
}
