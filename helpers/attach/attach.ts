// Attach: argv that enters every namespace of a running sandbox (shell, exec, and the tray's terminals).
import fs from 'node:fs';
import { SandtrayError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import { nsInode } from '../host/proc.js';
import { requireTool } from '../host/tools.js';
import { closeFdsPrefix } from '../host/close-fds.js';
import { shQuote } from './quote.js';
import { HOST_ENV } from '../plan/build.js';
import { sandboxState, type RuntimeState } from '../runtime/state.js';
import { readRecord } from '../runtime/store.js';

const NS_FLAGS: [string, string][] = [
  ['user', '--user'],
  ['mnt', '--mount'],
  ['uts', '--uts'],
  ['ipc', '--ipc'],
  ['net', '--net'],
  ['pid', '--pid'],
  ['cgroup', '--cgroup'],
];

export interface AttachSpec {
  argv: string[];
  env: Record<string, string>;
  runtime: RuntimeState;
}

/** The running sandbox's runtime state, or a WRONG_STATE error saying how to start it. */
export function runningSandbox(name: string, paths?: Paths): RuntimeState {
  readRecord(name, paths);
  const { state, runtime } = sandboxState(name, paths);
  if (state !== 'RUNNING' || !runtime?.init) {
    throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is ${state}, not RUNNING`, `Start it with \`sandtray start ${name}\`.`);
  }
  return runtime;
}

function setgroupsDenied(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'deny';
  } catch {
    return false;
  }
}

/**
 * argv for nsenter running cmd inside the sandbox as its root, in its root directory and workdir.
 * Only namespaces that differ from ours are entered: a `host` network sandbox shares our net
 * namespace, and entering a namespace owned by the host's user namespace would be refused.
 */
export function attachSpec(name: string, cmd: string[] | null, extraEnv: Record<string, string> = {}, paths?: Paths, opts: { terminal?: boolean } = {}): AttachSpec {
  const runtime = runningSandbox(name, paths);
  const nsenter = requireTool('nsenter');
  const pid = runtime.init!.pid;
  const flags: string[] = [];
  for (const [ns, flag] of NS_FLAGS) {
    const theirs = nsInode(pid, ns);
    if (theirs === null) throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" went away while attaching`, `Check \`sandtray info ${name}\`.`);
    if (theirs !== nsInode(process.pid, ns)) flags.push(flag);
  }
  // A single-id map denies setgroups (the kernel's price for a map written without privilege);
  // nsenter would then fail to drop groups, so keep our credentials: they are root inside anyway.
  if (flags.includes('--user') && setgroupsDenied(pid)) flags.push('--preserve-credentials');
  // `--wd=DIR` would open DIR on the host before entering the namespaces, leaving the process with
  // a cwd outside the sandbox; so enter at pid 1's cwd (its /) and change directory inside with env.
  let inner = cmd ?? [runtime.shell, '-l'];
  // For a terminal, script(1) inside allocates the pseudo-terminal from the sandbox's own devpts,
  // so tty(1), ttyname() and job control work there; the caller's terminal stays outside.
  if (opts.terminal) inner = ['/usr/bin/script', '--quiet', '--return', '--command', inner.map(shQuote).join(' '), '/dev/null'];
  // The environment is set inside by env(1): the host-side steps run with HOST_ENV only, so a
  // profile's LD_PRELOAD or BASH_ENV never acts outside the sandbox.
  const vars = Object.entries({ ...runtime.env, ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const argv = [...closeFdsPrefix(2), nsenter, `--target=${pid}`, ...flags, '--root', '--wd', '--', '/usr/bin/env', '-i', `--chdir=${runtime.workdir}`, '--', ...vars, ...inner];
  return { argv, env: { ...HOST_ENV }, runtime };
}
