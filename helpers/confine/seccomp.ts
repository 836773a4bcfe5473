// The seccomp filter every sandboxed process runs under, as data and as a classic BPF program.
//
// The policy follows Flatpak's blocklist (setup_seccomp in flatpak-run.c): allow by default and
// refuse the calls that reach kernel state a user namespace does not isolate, that load or inspect
// kernel code, that act on other processes' memory, or that build new namespaces and mounts when
// the profile does not nest. The program is generated here, without libseccomp, so it is plain data
// the unit tests can run through an interpreter, and `plan` can show exactly what is loaded.
//
// The kernel runs the program on every system call with a struct seccomp_data:
//   offset 0  nr (int)          offset 4  arch (AUDIT_ARCH_*)
//   offset 8  instruction_pointer (u64)
//   offset 16 + 8*i  args[i] (u64)
// Both supported architectures are little-endian, so the low 32 bits of args[i] are at 16 + 8*i.
import { lookupSyscall, syscallNumber as tableNumber, type SyscallArch, type SyscallName } from './syscalls.js';

export type SeccompArch = 'x86_64' | 'aarch64';

/** The filter's architecture for a Node `process.arch`, or null where Sandtray has none. */
export function seccompArch(nodeArch: string = process.arch): SeccompArch | null {
  // AUDIT_ARCH_AARCH64 is the little-endian ABI, the only one Node is built for.
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return null;
}

/** The number of a system call, as `syscalls.ts` knows it; throws for unknown or absent calls. */
export function syscallNumber(arch: SeccompArch | 'i386', name: string): number {
  return tableNumber(arch, name);
}

export interface FilterPolicy {
  /** nesting: true profiles: keep unshare/clone(CLONE_NEWUSER)/setns/mount family, which user namespaces inside need */
  nesting: boolean;
  /** the profile asked for CAP_SYS_ADMIN: keep the mount and namespace family too */
  sysAdmin: boolean;
}

export const ERRNO = { EPERM: 1, ENOSYS: 38 } as const;
export type SeccompErrno = keyof typeof ERRNO;

/**
 * A test on one argument. Only its low 32 bits are compared: the kernel declares ioctl's request
 * and personality's argument `unsigned int` and drops the upper half, so a filter that compared all
 * 64 bits could be dodged by setting them (Flatpak's CVE-2019-10063). Clone's namespace flags all
 * lie in the low half.
 */
export type ArgTest =
  /** refused when the argument is one of `values` */
  | { index: number; is: 'one-of'; values: readonly number[] }
  /** refused unless the argument is one of `values` */
  | { index: number; is: 'none-of'; values: readonly number[] }
  /** refused when the argument has any bit of `mask` set */
  | { index: number; is: 'any-bit-of'; mask: number };

export interface SeccompRule {
  /** Names from syscalls.ts; a call an ABI lacks is skipped there. */
  syscalls: readonly SyscallName[];
  errno: SeccompErrno;
  why: string;
  /** 'no-nesting': only when the profile neither nests nor holds CAP_SYS_ADMIN. Default 'always'. */
  when?: 'always' | 'no-nesting';
  /** Without it the call is refused whatever its arguments. */
  args?: ArgTest;
}

export const CLONE_NEWUSER = 0x10000000;
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
export const PER_LINUX = 0x0000;
export const PER_LINUX32 = 0x0008;
/** personality(0xffffffff) changes nothing and returns the current persona. */
export const PER_QUERY = 0xffffffff;

// EPERM is a refusal of policy: what the kernel itself answers a caller that lacks the privilege,
// so tools report "Operation not permitted". ENOSYS says the call does not exist: callers that
// probe for a newer call fall back to an older one, obsolete calls answer as a kernel without
// them does, and so do the calls only the host's administrator may make (modules, kexec, the
// kernel log, accounting, quotas, I/O ports, file handles): a kernel built without them answers
// so, and the answer tells the filter's refusal apart from the kernel's own capability check.
export const SECCOMP_RULES: readonly SeccompRule[] = [
  {
    syscalls: ['add_key', 'keyctl', 'request_key'],
    errno: 'EPERM',
    why: 'Kernel keyrings are not namespaced: the user keyring and every key found by its serial number are shared with the host. Each sandbox process gets its own fresh session keyring before the filter is loaded; nothing inside may reach the others.',
  },
  {
    syscalls: ['perf_event_open'],
    errno: 'EPERM',
    why: 'Profiling is done from outside the sandbox; perf events observe the whole system and have a long record of kernel bugs.',
  },
  {
    syscalls: ['userfaultfd'],
    errno: 'EPERM',
    why: 'Lets a process stall the kernel in the middle of a copy from user memory for as long as it likes, the usual way to win a kernel race in an exploit; many kernels already refuse it to unprivileged users (vm.unprivileged_userfaultfd).',
  },
  {
    syscalls: ['kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module'],
    errno: 'ENOSYS',
    why: 'Loading or unloading kernel code is never a sandbox\'s business. The kernel already demands capabilities of the initial user namespace; the filter keeps even the argument parsing out of reach.',
  },
  {
    syscalls: ['bpf'],
    errno: 'EPERM',
    why: 'The BPF verifier and JIT are a large attack surface and unprivileged BPF a frequent source of kernel exploits; nothing a sandbox runs needs to load BPF programs.',
  },
  {
    syscalls: ['syslog'],
    errno: 'ENOSYS',
    why: 'The kernel log is the host\'s: it shows host activity and kernel addresses.',
  },
  {
    syscalls: ['acct', 'quotactl'],
    errno: 'ENOSYS',
    why: 'Process accounting and disk quotas are host-wide administration (quotactl also reports other users\' usage of host file systems).',
  },
  {
    syscalls: ['iopl', 'ioperm'],
    errno: 'ENOSYS',
    why: 'Raw I/O port access to hardware (x86 only). The kernel asks for CAP_SYS_RAWIO of the initial user namespace; refused here too as defence in depth.',
  },
  {
    syscalls: ['open_by_handle_at'],
    errno: 'ENOSYS',
    why: 'Opens any file of a file system by its handle, ignoring the bind mounts the sandbox sees (the "shocker" container escape). It needs CAP_DAC_READ_SEARCH of the initial user namespace; refused here too as defence in depth.',
  },
  {
    syscalls: ['uselib', 'nfsservctl', 'lookup_dcookie', 'vm86', 'vm86old'],
    errno: 'ENOSYS',
    why: 'Obsolete calls (a.out libraries, the old NFS server interface, oprofile, i386 virtual 8086 mode) that current kernels build without or never offer to 32-bit programs on a 64-bit kernel; a program gets the answer such a kernel gives.',
  },
  {
    syscalls: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
    errno: 'ENOSYS',
    why: 'io_uring is a second way into much of the kernel, with its own long record of privilege escalations; Docker and ChromeOS refuse it too. ENOSYS makes programs that probe for it (runtimes, databases) fall back to epoll and ordinary reads and writes.',
  },
  {
    syscalls: ['move_pages', 'migrate_pages'],
    errno: 'EPERM',
    why: 'They move the memory of other processes between NUMA nodes and have leaked other processes\' memory layout (CVE-2017-14140). mbind, get_mempolicy and set_mempolicy stay allowed: they act only on the caller\'s own memory, and NUMA-aware runtimes (libnuma, OpenMP, JVMs) call them.',
  },
  {
    syscalls: ['personality'],
    errno: 'EPERM',
    args: { index: 0, is: 'none-of', values: [PER_LINUX, PER_LINUX32, PER_QUERY] },
    why: 'Other personalities change how the kernel treats the process: READ_IMPLIES_EXEC makes every readable mapping executable, ADDR_NO_RANDOMIZE turns address randomisation off, MMAP_PAGE_ZERO maps page zero. PER_LINUX, PER_LINUX32 (`linux32`, 32-bit builds) and the query 0xffffffff stay allowed.',
  },
  {
    syscalls: ['ioctl'],
    errno: 'EPERM',
    args: { index: 1, is: 'one-of', values: [TIOCSTI, TIOCLINUX] },
    why: 'TIOCSTI pushes characters into a terminal\'s input, as if typed by the user (CVE-2017-5226); TIOCLINUX copy and paste on a virtual console does the same (CVE-2023-28100).',
  },
  {
    syscalls: ['unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root'],
    errno: 'EPERM',
    when: 'no-nesting',
    why: 'New namespaces and mounts inside are refused unless the profile nests or holds CAP_SYS_ADMIN: a new user namespace gives back every capability the sandbox dropped, and with them the kernel code behind them (mount, netfilter, ...).',
  },
  {
    syscalls: ['clone'],
    errno: 'EPERM',
    when: 'no-nesting',
    args: { index: 0, is: 'any-bit-of', mask: CLONE_NEWUSER },
    why: 'clone with CLONE_NEWUSER creates a user namespace just as unshare does; the other CLONE_NEW* flags need CAP_SYS_ADMIN, which the kernel checks itself. The flags are argument 0 on x86_64, i386 and aarch64.',
  },
  {
    syscalls: ['clone3'],
    errno: 'ENOSYS',
    when: 'no-nesting',
    why: 'clone3 passes its flags behind a pointer, which seccomp cannot read, so it cannot be told apart from clone with CLONE_NEWUSER. ENOSYS makes glibc and others fall back to clone, which is checked.',
  },
  {
    syscalls: ['open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr'],
    errno: 'ENOSYS',
    when: 'no-nesting',
    why: 'The new mount API changes the mount tree as mount does (CVE-2021-41133 in Flatpak). ENOSYS makes mount tools fall back to mount(2), which is refused with a plain EPERM.',
  },
];

/** Whether a rule is part of the filter for this policy. */
export function ruleApplies(rule: SeccompRule, policy: FilterPolicy): boolean {
  return (rule.when ?? 'always') === 'always' || !(policy.nesting || policy.sysAdmin);
}

/** The rules the filter for `policy` enforces, in program order. */
export function activeRules(policy: FilterPolicy): SeccompRule[] {
  return SECCOMP_RULES.filter((r) => ruleApplies(r, policy));
}

// ---- classic BPF -------------------------------------------------------------------------------

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 calls arrive as AUDIT_ARCH_X86_64 with this bit set in nr (__X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x40000000;

export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO = 0x00050000;
/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const MAX_INSTRUCTIONS = 4096;

export const BPF = {
  LD_W_ABS: 0x20, // BPF_LD | BPF_W | BPF_ABS
  JA: 0x05, // BPF_JMP | BPF_JA
  JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JSET_K: 0x45, // BPF_JMP | BPF_JSET | BPF_K
  RET_K: 0x06, // BPF_RET | BPF_K
} as const;

const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
/** Where the low 32 bits of args[i] lie in seccomp_data. */
export function argLowOffset(index: number): number {
  if (!Number.isInteger(index) || index < 0 || index > 5) throw new Error(`no system call argument ${index}`);
  return 16 + 8 * index;
}

export function retErrno(errno: SeccompErrno): number {
  return (SECCOMP_RET_ERRNO | ERRNO[errno]) >>> 0;
}

/** nr as a tracer leaves it to skip a call ((int)-1). */
const NO_SYSCALL = 0xffffffff;
/** Calls with numbers that carry x32's bit are refused whole: see the design notes. */
const X32_ERRNO: SeccompErrno = 'ENOSYS';
/** Calls under an architecture the filter has no table for. */
const FOREIGN_ARCH_ERRNO: SeccompErrno = 'ENOSYS';

/**
 * The instructions before assembly. Jump targets are labels, or null for the next instruction;
 * labels take no space in the program.
 */
type Op =
  | { op: 'ld'; offset: number }
  | { op: 'jeq' | 'jset'; k: number; jt: string | null; jf: string | null }
  | { op: 'ja'; to: string }
  | { op: 'ret'; k: number }
  | { op: 'label'; name: string };

const ld = (offset: number): Op => ({ op: 'ld', offset });
const jeq = (k: number, jt: string | null, jf: string | null): Op => ({ op: 'jeq', k, jt, jf });
const jset = (k: number, jt: string | null, jf: string | null): Op => ({ op: 'jset', k, jt, jf });
const ja = (to: string): Op => ({ op: 'ja', to });
const ret = (k: number): Op => ({ op: 'ret', k });
const label = (name: string): Op => ({ op: 'label', name });

/** One instruction as the kernel reads it (struct sock_filter). */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/**
 * Resolves labels into offsets. Conditional jumps hold 8-bit forward offsets, so a far target is an
 * error here rather than a silently wrapped jump; the program is laid out so that every conditional
 * jump stays inside its own small block and only JA (32-bit offset) crosses sections.
 */
function assemble(ops: readonly Op[]): SockFilter[] {
  const at = new Map<string, number>();
  let pc = 0;
  for (const o of ops) {
    if (o.op !== 'label') pc++;
    else if (at.has(o.name)) throw new Error(`seccomp: label ${o.name} defined twice`);
    else at.set(o.name, pc);
  }
  const offset = (from: number, to: string | null, limit: number): number => {
    if (to === null) return 0;
    const target = at.get(to);
    if (target === undefined) throw new Error(`seccomp: no label ${to}`);
    const d = target - (from + 1);
    if (d < 0 || d > limit) throw new Error(`seccomp: jump from ${from} to ${to} (${d}) out of range`);
    return d;
  };
  const out: SockFilter[] = [];
  for (const o of ops) {
    const here = out.length;
    switch (o.op) {
      case 'label':
        break;
      case 'ld':
        out.push({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: o.offset });
        break;
      case 'jeq':
      case 'jset':
        out.push({
          code: o.op === 'jeq' ? BPF.JEQ_K : BPF.JSET_K,
          jt: offset(here, o.jt, 255),
          jf: offset(here, o.jf, 255),
          k: o.k >>> 0,
        });
        break;
      case 'ja':
        out.push({ code: BPF.JA, jt: 0, jf: 0, k: offset(here, o.to, 0xffffffff) });
        break;
      case 'ret':
        out.push({ code: BPF.RET_K, jt: 0, jf: 0, k: o.k >>> 0 });
        break;
    }
  }
  return out;
}

/** struct sock_filter[] in the kernel's layout: u16 code, u8 jt, u8 jf, u32 k, little-endian. */
export function encodeFilter(insns: readonly SockFilter[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    buf.writeUInt16LE(x.code, i * 8);
    buf.writeUInt8(x.jt, i * 8 + 2);
    buf.writeUInt8(x.jf, i * 8 + 3);
    buf.writeUInt32LE(x.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** The test on an argument already loaded into A: jumps to `deny` or to `pass`. */
function argTestOps(t: ArgTest, deny: string, pass: string): Op[] {
  if (t.is === 'any-bit-of') return [jset(t.mask, deny, pass)];
  if (t.values.length === 0) throw new Error('seccomp: an argument test needs at least one value');
  const last = t.values.length - 1;
  // 'one-of': equal to a value -> deny; past the last -> pass. 'none-of' the other way round; the
  // deny label follows the tests, so falling off the last one denies.
  return t.is === 'one-of'
    ? t.values.map((v, i) => jeq(v, deny, i === last ? pass : null))
    : t.values.map((v) => jeq(v, pass, null));
}

/**
 * One rule for one call number, with A holding nr on entry and on exit:
 *   jeq nr, 0, next        ; not this call
 *   [ld arg; tests]        ; only with an argument test
 *   ret ERRNO
 *   [ld nr]                ; the argument passed: reload nr for the next block
 * next:
 */
function ruleOps(nr: number, rule: SeccompRule, id: string): Op[] {
  const deny = retErrno(rule.errno);
  if (!rule.args) return [jeq(nr, null, `${id}.next`), ret(deny), label(`${id}.next`)];
  return [
    jeq(nr, null, `${id}.next`),
    ld(argLowOffset(rule.args.index)),
    ...argTestOps(rule.args, `${id}.deny`, `${id}.pass`),
    label(`${id}.deny`),
    ret(deny),
    label(`${id}.pass`),
    ld(OFFSET_NR),
    label(`${id}.next`),
  ];
}

/** One ABI the program accepts, checked against its own numbers. */
interface Section {
  auditArch: number;
  table: SyscallArch;
  refuseX32: boolean;
}

/** On x86_64 the kernel also runs i386 programs; the x32 ABI shares AUDIT_ARCH_X86_64. */
const SECTIONS: Readonly<Record<SeccompArch, readonly Section[]>> = {
  x86_64: [
    { auditArch: AUDIT_ARCH_X86_64, table: 'x86_64', refuseX32: true },
    { auditArch: AUDIT_ARCH_I386, table: 'i386', refuseX32: false },
  ],
  aarch64: [{ auditArch: AUDIT_ARCH_AARCH64, table: 'aarch64', refuseX32: false }],
};

/** The rule blocks of one ABI: starts with nr loaded, ends allowing what no rule refused. */
function sectionOps(section: Section, rules: readonly SeccompRule[]): Op[] {
  const id = section.table;
  const ops: Op[] = [label(`${id}`), ld(OFFSET_NR)];
  if (section.refuseX32) {
    // nr -1 also has the x32 bit. It is not a call: a tracer sets it to skip one and sets the
    // result itself, which an errno from here would overwrite. The kernel answers ENOSYS to it.
    ops.push(jeq(NO_SYSCALL, null, `${id}.call`), ret(SECCOMP_RET_ALLOW), label(`${id}.call`));
    ops.push(jset(X32_SYSCALL_BIT, null, `${id}.native`), ret(retErrno(X32_ERRNO)), label(`${id}.native`));
  }
  // The first block matching a number decides, so a call listed twice would leave a dead rule.
  const seen = new Set<number>();
  rules.forEach((rule, r) => {
    for (const name of rule.syscalls) {
      const nr = lookupSyscall(section.table, name);
      if (nr === null) continue;
      if (seen.has(nr)) throw new Error(`seccomp: ${name} is named by two rules`);
      seen.add(nr);
      ops.push(...ruleOps(nr, rule, `${id}.${r}.${name}`));
    }
  });
  ops.push(ret(SECCOMP_RET_ALLOW));
  return ops;
}

/**
 * The whole program. The architecture is checked first, since numbers mean different calls on each
 * ABI; a dispatch of `jeq arch; ja section` pairs keeps every conditional jump short:
 *   ld arch
 *   jeq AUDIT_ARCH_A, 0, 1 ; ja A
 *   jeq AUDIT_ARCH_B, 0, 1 ; ja B
 *   ret ERRNO(ENOSYS)      ; an ABI with no table
 *   A: ...                 ; ends in ret ALLOW
 *   B: ...
 */
export function seccompProgram(arch: SeccompArch, policy: FilterPolicy): SockFilter[] {
  const rules = activeRules(policy);
  const sections = SECTIONS[arch];
  const ops: Op[] = [ld(OFFSET_ARCH)];
  for (const s of sections) {
    ops.push(jeq(s.auditArch, null, `${s.table}.not`), ja(s.table), label(`${s.table}.not`));
  }
  ops.push(ret(retErrno(FOREIGN_ARCH_ERRNO)));
  for (const s of sections) ops.push(...sectionOps(s, rules));
  const insns = assemble(ops);
  if (insns.length > MAX_INSTRUCTIONS) throw new Error(`seccomp: ${insns.length} instructions, the kernel takes ${MAX_INSTRUCTIONS}`);
  return insns;
}

/** The filter to load with seccomp(SECCOMP_SET_MODE_FILTER): struct sock_filter[], 8 bytes each. */
export function compileSeccomp(arch: SeccompArch, policy: FilterPolicy): Buffer {
  return encodeFilter(seccompProgram(arch, policy));
}
