// The seccomp filter: the compiled program is run through a classic BPF interpreter written here,
// and its decisions are checked against a policy written out by hand with numbers read from the
// kernel headers installed on this machine, not from our own tables. The tables themselves are
// checked against the same headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  BPF,
  MAX_INSTRUCTIONS,
  SECCOMP_RET_ALLOW,
  SECCOMP_RULES,
  activeRules,
  compileSeccomp,
  retErrno,
  seccompArch,
  syscallNumber,
  type FilterPolicy,
  type SeccompArch,
} from '../../helpers/confine/seccomp.js';
import { SYSCALL_NAMES, SYSCALL_TABLES, lookupSyscall, type SyscallArch } from '../../helpers/confine/syscalls.js';

// ---- the kernel headers -------------------------------------------------------------------------

const HEADERS: Record<SyscallArch, { paths: string[]; pkg: string }> = {
  x86_64: {
    paths: ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/x86_64-linux-gnu/include/asm/unistd_64.h'],
    pkg: 'linux-libc-dev (on a machine that is not x86_64: linux-libc-dev-amd64-cross)',
  },
  i386: {
    paths: ['/usr/include/x86_64-linux-gnu/asm/unistd_32.h', '/usr/x86_64-linux-gnu/include/asm/unistd_32.h'],
    pkg: 'linux-libc-dev (on a machine that is not x86_64: linux-libc-dev-amd64-cross)',
  },
  aarch64: { paths: ['/usr/include/asm-generic/unistd.h'], pkg: 'linux-libc-dev' },
};

/**
 * `#define __NR_name N` lines. In the generic header, names such as fstat are aliases of
 * __NR3264_fstat; only the aliases of the 64-bit branch count (the other branch names the 32-bit
 * ABIs' calls, e.g. fstat64).
 */
function parseUnistd(text: string): Map<string, number> {
  const numbers = new Map<string, number>();
  const wide = new Map<string, number>();
  const aliases: Array<[string, string]> = [];
  let depth = 0; // inside the `#if __BITS_PER_LONG == 64` block: its nesting depth
  let branch64 = true;
  for (const line of text.split('\n')) {
    if (depth === 0 && /^#if __BITS_PER_LONG == 64\b/.test(line)) {
      depth = 1;
      branch64 = true;
      continue;
    }
    if (depth > 0) {
      if (/^#if/.test(line)) depth++;
      else if (/^#endif/.test(line)) depth--;
      else if (depth === 1 && /^#else/.test(line)) branch64 = false;
    }
    let m = /^#define __NR3264_(\w+)\s+(\d+)\s*$/.exec(line);
    if (m) {
      wide.set(m[1]!, Number(m[2]));
      continue;
    }
    m = /^#define __NR_(\w+)\s+(\d+)\s*$/.exec(line);
    if (m && m[1] !== 'syscalls') {
      numbers.set(m[1]!, Number(m[2]));
      continue;
    }
    m = /^#define __NR_(\w+)\s+__NR3264_(\w+)\s*$/.exec(line);
    if (m && (depth === 0 || branch64)) aliases.push([m[1]!, m[2]!]);
  }
  for (const [name, target] of aliases) {
    const nr = wide.get(target);
    if (nr !== undefined) numbers.set(name, nr);
  }
  return numbers;
}

const headerCache = new Map<SyscallArch, Map<string, number>>();
function header(abi: SyscallArch): Map<string, number> {
  let h = headerCache.get(abi);
  if (!h) {
    const { paths, pkg } = HEADERS[abi];
    const file = paths.find((p) => fs.existsSync(p));
    if (!file) assert.fail(`the ${abi} system call header is missing (looked for ${paths.join(', ')}): install the Debian package ${pkg}`);
    h = parseUnistd(fs.readFileSync(file, 'utf8'));
    assert.ok(h.size > 300, `${file} lists only ${h.size} system calls; is it the kernel's unistd header?`);
    headerCache.set(abi, h);
  }
  return h;
}

/** The header's number for a call, or undefined where the ABI has none. */
const kernelNr = (abi: SyscallArch, name: string): number | undefined => header(abi).get(name);

// ---- a classic BPF interpreter, with the kernel's checks -----------------------------------------

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

function decode(prog: Buffer): Insn[] {
  assert.equal(prog.length % 8, 0, 'a program is a whole number of 8-byte instructions');
  const out: Insn[] = [];
  for (let o = 0; o < prog.length; o += 8) {
    out.push({ code: prog.readUInt16LE(o), jt: prog.readUInt8(o + 2), jf: prog.readUInt8(o + 3), k: prog.readUInt32LE(o + 4) });
  }
  return out;
}

const SECCOMP_DATA_SIZE = 64;
const BPF_ALU_AND_K = 0x54;
const BPF_JGT_K = 0x25;
const BPF_JGE_K = 0x35;
const BPF_RET = 0x06;

/** What bpf_check_classic and seccomp_check_filter refuse. */
function validate(insns: Insn[]): void {
  assert.ok(insns.length > 0 && insns.length <= MAX_INSTRUCTIONS, `${insns.length} instructions`);
  insns.forEach((x, pc) => {
    switch (x.code) {
      case BPF.LD_W_ABS:
        assert.ok(x.k % 4 === 0 && x.k + 4 <= SECCOMP_DATA_SIZE, `pc ${pc}: load at ${x.k} is outside seccomp_data or unaligned`);
        break;
      case BPF.JA:
        assert.ok(pc + 1 + x.k < insns.length, `pc ${pc}: ja past the end`);
        break;
      case BPF.JEQ_K:
      case BPF.JSET_K:
      case BPF_JGT_K:
      case BPF_JGE_K:
        assert.ok(pc + 1 + Math.max(x.jt, x.jf) < insns.length, `pc ${pc}: jump past the end`);
        break;
      case BPF_ALU_AND_K:
      case BPF.RET_K:
        break;
      default:
        assert.fail(`pc ${pc}: instruction 0x${x.code.toString(16)} is not one this interpreter knows`);
    }
  });
  assert.equal(insns[insns.length - 1]!.code & 0x07, BPF_RET, 'the last instruction must return');
}

interface Call {
  arch: number;
  nr: number;
  args?: readonly bigint[];
  ip?: bigint;
}

function seccompData(c: Call): Buffer {
  const d = Buffer.alloc(SECCOMP_DATA_SIZE);
  d.writeUInt32LE(c.nr >>> 0, 0);
  d.writeUInt32LE(c.arch >>> 0, 4);
  d.writeBigUInt64LE(c.ip ?? 0x401000n, 8);
  (c.args ?? []).forEach((a, i) => d.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  return d;
}

function run(insns: Insn[], c: Call): number {
  const data = seccompData(c);
  let a = 0;
  let pc = 0;
  // Classic BPF only jumps forward, so a program ends within its length.
  for (let steps = 0; steps <= insns.length; steps++) {
    const x = insns[pc];
    assert.ok(x, `fell off the program at pc ${pc}`);
    switch (x.code) {
      case BPF.LD_W_ABS:
        a = data.readUInt32LE(x.k);
        pc++;
        break;
      case BPF_ALU_AND_K:
        a = (a & x.k) >>> 0;
        pc++;
        break;
      case BPF.JA:
        pc += 1 + x.k;
        break;
      case BPF.JEQ_K:
        pc += 1 + (a === x.k ? x.jt : x.jf);
        break;
      case BPF_JGT_K:
        pc += 1 + (a > x.k ? x.jt : x.jf);
        break;
      case BPF_JGE_K:
        pc += 1 + (a >= x.k ? x.jt : x.jf);
        break;
      case BPF.JSET_K:
        pc += 1 + ((a & x.k) !== 0 ? x.jt : x.jf);
        break;
      case BPF.RET_K:
        return x.k;
      default:
        assert.fail(`unknown instruction 0x${x.code.toString(16)}`);
    }
  }
  assert.fail('the program did not return');
}

// ---- the policy, written out independently of SECCOMP_RULES ---------------------------------------

const ALLOW = SECCOMP_RET_ALLOW;
const EPERM = retErrno('EPERM');
const ENOSYS = retErrno('ENOSYS');

const ALWAYS_EPERM = ['add_key', 'keyctl', 'request_key', 'perf_event_open', 'userfaultfd', 'bpf', 'move_pages', 'migrate_pages'];
const ALWAYS_ENOSYS = [
  'uselib', 'nfsservctl', 'lookup_dcookie', 'vm86', 'vm86old', 'kexec_load', 'kexec_file_load', 'init_module',
  'finit_module', 'delete_module', 'syslog', 'acct', 'quotactl', 'iopl', 'ioperm', 'open_by_handle_at',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
];
const UNNESTED_EPERM = ['unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root'];
const UNNESTED_ENOSYS = ['clone3', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr'];
/** Calls whose refusal depends on an argument; with all arguments zero each is allowed. */
const BY_ARGUMENT = ['ioctl', 'personality', 'clone'];

const CLONE_NEWUSER = 0x10000000n;
const SIGCHLD = 17n;
const TIOCSTI = 0x5412n;
const TIOCLINUX = 0x541cn;
const TCGETS = 0x5401n;

interface Abi {
  /** the program that carries it */
  prog: SeccompArch;
  abi: SyscallArch;
  audit: number;
}
const ABIS: Abi[] = [
  { prog: 'x86_64', abi: 'x86_64', audit: AUDIT_ARCH_X86_64 },
  { prog: 'x86_64', abi: 'i386', audit: AUDIT_ARCH_I386 },
  { prog: 'aarch64', abi: 'aarch64', audit: AUDIT_ARCH_AARCH64 },
];

const UNNESTED: FilterPolicy = { nesting: false, sysAdmin: false };
const POLICIES: FilterPolicy[] = [
  UNNESTED,
  { nesting: true, sysAdmin: false },
  { nesting: false, sysAdmin: true },
  { nesting: true, sysAdmin: true },
];
const nests = (p: FilterPolicy): boolean => p.nesting || p.sysAdmin;
const label = (p: FilterPolicy): string => `nesting=${p.nesting} sysAdmin=${p.sysAdmin}`;

const programs = new Map<string, Insn[]>();
function program(arch: SeccompArch, policy: FilterPolicy): Insn[] {
  const key = `${arch} ${label(policy)}`;
  let p = programs.get(key);
  if (!p) {
    p = decode(compileSeccomp(arch, policy));
    validate(p);
    programs.set(key, p);
  }
  return p;
}

/** Runs `name` (by the header's number) through the filter of `a`, or returns undefined where the ABI lacks it. */
function decide(a: Abi, policy: FilterPolicy, name: string, args: readonly bigint[] = []): number | undefined {
  const nr = kernelNr(a.abi, name);
  if (nr === undefined) return undefined;
  return run(program(a.prog, policy), { arch: a.audit, nr, args });
}

const show = (k: number | undefined): string =>
  k === undefined ? 'absent' : k === ALLOW ? 'ALLOW' : k === EPERM ? 'EPERM' : k === ENOSYS ? 'ENOSYS' : `0x${k.toString(16)}`;

// ---- tests --------------------------------------------------------------------------------------

test('the syscall tables agree with the kernel headers, number by number', () => {
  for (const abi of Object.keys(SYSCALL_TABLES) as SyscallArch[]) {
    for (const name of SYSCALL_NAMES) {
      const ours = SYSCALL_TABLES[abi][name];
      const kernel = kernelNr(abi, name) ?? null;
      assert.equal(ours, kernel, `${abi} ${name}: our table says ${ours}, the kernel header ${kernel}`);
    }
  }
});

test('the header reader resolves the generic table\'s 64-bit aliases', () => {
  // aarch64's fstat and newfstatat are __NR3264_ names; fstat64 belongs to the 32-bit ABIs.
  assert.equal(kernelNr('aarch64', 'fstat'), 80);
  assert.equal(kernelNr('aarch64', 'newfstatat'), 79);
  assert.equal(kernelNr('aarch64', 'fstat64'), undefined);
  assert.equal(kernelNr('aarch64', 'umount'), undefined);
  assert.equal(kernelNr('aarch64', 'iopl'), undefined);
  assert.equal(kernelNr('x86_64', 'keyctl'), 250);
  assert.equal(kernelNr('i386', 'keyctl'), 288);
});

test('every call the policy names exists on at least one ABI', () => {
  for (const name of [...ALWAYS_EPERM, ...ALWAYS_ENOSYS, ...UNNESTED_EPERM, ...UNNESTED_ENOSYS, ...BY_ARGUMENT]) {
    assert.ok(ABIS.some((a) => kernelNr(a.abi, name) !== undefined), `no ABI has ${name}`);
  }
});

test('the enter helper\'s calls have numbers', () => {
  const calls = ['setns', 'keyctl', 'prctl', 'capset', 'seccomp', 'setgroups', 'close', 'close_range', 'setresuid', 'setresgid', 'execve'];
  for (const arch of ['x86_64', 'aarch64', 'i386'] as const) {
    for (const c of calls) assert.equal(syscallNumber(arch, c), kernelNr(arch, c), `${arch} ${c}`);
  }
  assert.equal(syscallNumber('x86_64', 'prctl'), 157);
  assert.equal(syscallNumber('x86_64', 'seccomp'), 317);
  assert.equal(syscallNumber('aarch64', 'seccomp'), 277);
  assert.equal(syscallNumber('i386', 'setgroups32'), 206);
});

test('syscallNumber throws for unknown names and for calls an ABI lacks', () => {
  assert.throws(() => syscallNumber('x86_64', 'no_such_call'), /unknown system call/);
  assert.throws(() => syscallNumber('x86_64', 'read'), /unknown system call/); // not one we name
  assert.throws(() => syscallNumber('aarch64', 'iopl'), /aarch64 has no iopl/);
  assert.throws(() => syscallNumber('x86_64', 'umount'), /x86_64 has no umount/);
  assert.equal(lookupSyscall('aarch64', 'umount'), null);
});

test('seccompArch maps Node\'s names', () => {
  assert.equal(seccompArch('x64'), 'x86_64');
  assert.equal(seccompArch('arm64'), 'aarch64');
  assert.equal(seccompArch('ia32'), null);
  assert.equal(seccompArch('arm'), null);
  assert.equal(seccompArch('riscv64'), null);
  assert.equal(seccompArch(), process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : null);
});

test('the programs are valid for the kernel, small and deterministic', () => {
  for (const arch of ['x86_64', 'aarch64'] as const) {
    for (const p of POLICIES) {
      const buf = compileSeccomp(arch, p);
      assert.equal(buf.length % 8, 0);
      assert.ok(buf.length / 8 <= MAX_INSTRUCTIONS);
      validate(decode(buf));
      assert.deepEqual(compileSeccomp(arch, p), buf, 'the same policy compiles to the same bytes');
    }
    // Nesting and CAP_SYS_ADMIN keep the same calls.
    assert.deepEqual(compileSeccomp(arch, { nesting: true, sysAdmin: false }), compileSeccomp(arch, { nesting: false, sysAdmin: true }));
    assert.ok(compileSeccomp(arch, UNNESTED).length > compileSeccomp(arch, { nesting: true, sysAdmin: false }).length);
  }
});

test('every refused call gets its errno, on each ABI and for each policy', () => {
  for (const a of ABIS) {
    for (const p of POLICIES) {
      const expect = (names: string[], k: number): void => {
        for (const n of names) {
          const got = decide(a, p, n);
          if (got !== undefined) assert.equal(show(got), show(k), `${a.abi} ${label(p)}: ${n}`);
        }
      };
      expect(ALWAYS_EPERM, EPERM);
      expect(ALWAYS_ENOSYS, ENOSYS);
      expect(UNNESTED_EPERM, nests(p) ? ALLOW : EPERM);
      expect(UNNESTED_ENOSYS, nests(p) ? ALLOW : ENOSYS);
    }
  }
});

test('every other call number is allowed, on each ABI and for each policy', () => {
  for (const a of ABIS) {
    for (const p of POLICIES) {
      const refused = new Map<number, number>();
      const add = (names: string[], k: number): void => {
        for (const n of names) {
          const nr = kernelNr(a.abi, n);
          if (nr !== undefined) refused.set(nr, k);
        }
      };
      add(ALWAYS_EPERM, EPERM);
      add(ALWAYS_ENOSYS, ENOSYS);
      if (!nests(p)) {
        add(UNNESTED_EPERM, EPERM);
        add(UNNESTED_ENOSYS, ENOSYS);
      }
      const prog = program(a.prog, p);
      for (let nr = 0; nr < 1024; nr++) {
        const got = run(prog, { arch: a.audit, nr, args: [0n, 0n, 0n, 0n, 0n, 0n] });
        assert.equal(show(got), show(refused.get(nr) ?? ALLOW), `${a.abi} ${label(p)}: nr ${nr}`);
      }
      // Numbers past every table, and the -1 a tracer uses to skip a call, are the kernel's to refuse.
      for (const nr of [0x3fffffff, 0xffffffff]) assert.equal(run(prog, { arch: a.audit, nr }), ALLOW);
    }
  }
});

test('ordinary calls are allowed', () => {
  for (const a of ABIS) {
    for (const p of POLICIES) {
      for (const n of ['read', 'write', 'openat', 'close', 'execve', 'mbind', 'get_mempolicy', 'set_mempolicy', 'chroot', 'ptrace']) {
        assert.equal(show(decide(a, p, n, [3n, 0n, 0n])), 'ALLOW', `${a.abi} ${label(p)}: ${n}`);
      }
      assert.equal(show(decide(a, p, 'clone', [SIGCHLD])), 'ALLOW', 'fork-like clone');
      assert.equal(show(decide(a, p, 'clone', [0x3d0f00n])), 'ALLOW', 'pthread_create-like clone');
      assert.equal(show(decide(a, p, 'ioctl', [1n, TCGETS, 0n])), 'ALLOW', 'ioctl TCGETS');
      for (const pers of [0n, 8n, 0xffffffffn]) assert.equal(show(decide(a, p, 'personality', [pers])), 'ALLOW', `personality(${pers})`);
    }
  }
});

test('ioctl: TIOCSTI and TIOCLINUX are refused, judged by the low 32 bits of the request only', () => {
  for (const a of ABIS) {
    for (const p of POLICIES) {
      assert.equal(show(decide(a, p, 'ioctl', [0n, TIOCSTI, 0n])), 'EPERM');
      assert.equal(show(decide(a, p, 'ioctl', [0n, TIOCLINUX, 0n])), 'EPERM');
      // The kernel reads the request as unsigned int: upper bits do not change what it does.
      assert.equal(show(decide(a, p, 'ioctl', [0n, 0xffffffff00000000n | TIOCSTI, 0n])), 'EPERM');
      assert.equal(show(decide(a, p, 'ioctl', [0n, 0x100000000n | TIOCLINUX, 0n])), 'EPERM');
      // The number elsewhere than the request argument is not a TIOCSTI.
      assert.equal(show(decide(a, p, 'ioctl', [TIOCSTI, TCGETS, TIOCSTI])), 'ALLOW');
      assert.equal(show(decide(a, p, 'ioctl', [0n, TIOCSTI + 1n, 0n])), 'ALLOW');
    }
  }
});

test('personality: only PER_LINUX, PER_LINUX32 and the query', () => {
  for (const a of ABIS) {
    for (const p of POLICIES) {
      // PER_BSD, ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, PER_LINUX32 | ADDR_NO_RANDOMIZE
      for (const pers of [0x6n, 0x40000n, 0x400000n, 0x100000n, 0x40008n, 0xfffffffen]) {
        assert.equal(show(decide(a, p, 'personality', [pers])), 'EPERM', `personality(0x${pers.toString(16)})`);
      }
      // The argument is unsigned int to the kernel: it sees the low half only.
      assert.equal(show(decide(a, p, 'personality', [0x100000006n])), 'EPERM');
      assert.equal(show(decide(a, p, 'personality', [0xffffffff00000000n])), 'ALLOW');
    }
  }
});

test('clone with CLONE_NEWUSER is refused unless the profile nests or holds CAP_SYS_ADMIN', () => {
  for (const a of ABIS) {
    for (const p of POLICIES) {
      const want = nests(p) ? 'ALLOW' : 'EPERM';
      assert.equal(show(decide(a, p, 'clone', [CLONE_NEWUSER | SIGCHLD])), want, `${a.abi} ${label(p)}`);
      assert.equal(show(decide(a, p, 'clone', [0xffffffff00000000n | CLONE_NEWUSER])), want);
      assert.equal(show(decide(a, p, 'clone', [CLONE_NEWUSER | 0x00020000n | 0x40000000n])), want, 'with other namespaces');
      // Only argument 0 holds the flags.
      assert.equal(show(decide(a, p, 'clone', [SIGCHLD, CLONE_NEWUSER, CLONE_NEWUSER])), 'ALLOW');
    }
  }
});

test('nesting keeps unshare, setns, mount and the new mount API', () => {
  const nesting = { nesting: true, sysAdmin: false };
  for (const a of ABIS) {
    for (const n of ['unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'clone3', 'fsopen', 'open_tree', 'mount_setattr']) {
      assert.equal(show(decide(a, nesting, n)), 'ALLOW', `${a.abi} ${n}`);
      assert.notEqual(show(decide(a, UNNESTED, n)), 'ALLOW', `${a.abi} ${n}`);
    }
    // The always-refused calls stay refused.
    assert.equal(show(decide(a, nesting, 'keyctl')), 'EPERM');
    assert.equal(show(decide(a, nesting, 'ioctl', [0n, TIOCSTI])), 'EPERM');
  }
});

test('i386 calls on x86_64 are judged by their own numbers', () => {
  const prog = program('x86_64', UNNESTED);
  const x86 = (nr: number): string => show(run(prog, { arch: AUDIT_ARCH_X86_64, nr }));
  const i386 = (nr: number): string => show(run(prog, { arch: AUDIT_ARCH_I386, nr }));
  assert.equal(i386(288), 'EPERM', 'i386 keyctl');
  assert.equal(x86(288), 'ALLOW', 'x86_64 accept4');
  assert.equal(x86(250), 'EPERM', 'x86_64 keyctl');
  assert.equal(i386(250), 'ALLOW', 'i386 fadvise64');
  assert.equal(i386(21), 'EPERM', 'i386 mount');
  assert.equal(x86(21), 'ALLOW', 'x86_64 access');
  assert.equal(i386(22), 'EPERM', 'i386 umount');
  assert.equal(i386(166), 'ENOSYS', 'i386 vm86');
  assert.equal(x86(166), 'EPERM', 'x86_64 umount2');
  // TIOCSTI through i386's ioctl number
  assert.equal(show(run(prog, { arch: AUDIT_ARCH_I386, nr: 54, args: [0n, TIOCSTI] })), 'EPERM');
  assert.equal(show(run(prog, { arch: AUDIT_ARCH_X86_64, nr: 54, args: [0n, TIOCSTI] })), 'ALLOW', 'x86_64 54 is setsockopt');
});

test('the x32 ABI is refused whole with ENOSYS', () => {
  for (const p of POLICIES) {
    const prog = program('x86_64', p);
    for (const nr of [0, 1, 59, 250, 512, 520, 547]) {
      assert.equal(show(run(prog, { arch: AUDIT_ARCH_X86_64, nr: 0x40000000 + nr })), 'ENOSYS', `x32 ${nr}`);
    }
    // -1 carries the bit too, but is a tracer skipping a call: its result must stay the tracer's.
    assert.equal(show(run(prog, { arch: AUDIT_ARCH_X86_64, nr: 0xffffffff })), 'ALLOW');
    // The same bit on i386 is just an unknown number, for the kernel to refuse.
    assert.equal(show(run(prog, { arch: AUDIT_ARCH_I386, nr: 0x40000000 + 288 })), 'ALLOW');
  }
});

test('an architecture without a table is refused whole with ENOSYS', () => {
  const AUDIT_ARCH_ARM = 0x40000028;
  const AUDIT_ARCH_X32_ISH = 0x4000003e; // x86_64 machine, 32-bit flag: no such ABI
  for (const p of POLICIES) {
    for (const nr of [0, 3, 63, 219, 250]) {
      for (const arch of [AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_X32_ISH, 0]) {
        assert.equal(show(run(program('x86_64', p), { arch, nr })), 'ENOSYS', `x86_64 program, arch 0x${arch.toString(16)}`);
      }
      for (const arch of [AUDIT_ARCH_ARM, AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0]) {
        assert.equal(show(run(program('aarch64', p), { arch, nr })), 'ENOSYS', `aarch64 program, arch 0x${arch.toString(16)}`);
      }
    }
  }
});

test('the rules as data: reasons, errnos, no call named twice', () => {
  const seen = new Set<string>();
  for (const r of SECCOMP_RULES) {
    assert.ok(r.why.length > 40, `a reason for ${r.syscalls.join(', ')}`);
    assert.ok(r.errno === 'EPERM' || r.errno === 'ENOSYS');
    for (const n of r.syscalls) {
      assert.ok(!seen.has(n), `${n} is named twice`);
      seen.add(n);
      assert.ok(ABIS.some((a) => lookupSyscall(a.abi, n) !== null), `${n} exists nowhere`);
    }
  }
  // The hand-written policy above and the rules name the same calls.
  assert.deepEqual([...seen].sort(), [...ALWAYS_EPERM, ...ALWAYS_ENOSYS, ...UNNESTED_EPERM, ...UNNESTED_ENOSYS, ...BY_ARGUMENT].sort());
  assert.equal(activeRules({ nesting: true, sysAdmin: false }).some((r) => r.syscalls.includes('unshare')), false);
  assert.equal(activeRules(UNNESTED).some((r) => r.syscalls.includes('unshare')), true);
});

test('program sizes', (t) => {
  for (const arch of ['x86_64', 'aarch64'] as const) {
    for (const p of [UNNESTED, { nesting: true, sysAdmin: false }]) {
      t.diagnostic(`${arch} ${label(p)}: ${compileSeccomp(arch, p).length / 8} instructions`);
    }
  }
});
