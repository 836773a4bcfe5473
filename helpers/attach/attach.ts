// Attach: argv that enters every namespace of a running sandbox (shell, exec, and the tray's terminals).
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { randomHex } from '../core/random.js';
import type { Paths } from '../core/paths.js';
import { isAlive, nsInode } from '../host/proc.js';
import { parseCapName, type CapName } from '../confine/caps.js';
import { ATTACH_NAMESPACES, enterArgv, envFileText } from '../confine/enter.js';
import { compileSeccomp, seccompArch } from '../confine/seccomp.js';
import { requireTool } from '../host/tools.js';
import { closeFdsPrefixIfNeeded } from '../host/close-fds.js';
import { shQuote } from './quote.js';
import { HOST_ENV } from '../plan/host-env.js';
import { sandboxState, type RuntimeState } from '../runtime/state.js';
import { readRecordJson, sandboxDirs } from '../runtime/dirs.js';

export interface AttachSpec {
  argv: string[];
  /** The private environment file the enter step reads and removes (the caller removes it if the step never ran). */
  envFile: string;
  env: Record<string, string>;
  runtime: RuntimeState;
}

/**
 * The running sandbox's runtime state, or a WRONG_STATE error saying how to start it. The record
 * must be there (NOT_FOUND otherwise, as for every command), but attaching takes nothing from it:
 * what the process inside gets was fixed at start in the runtime state. So it is not checked
 * against the profile schema here, whose making alone took longer than the rest of an `exec`.
 */
export function runningSandbox(name: string, paths?: Paths): RuntimeState {
  readRecordJson(name, paths);
  const { state, runtime } = sandboxState(name, paths);
  if (state !== 'RUNNING' || !runtime?.init) {
    throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is ${state}, not RUNNING`, `Start it with \`sandtray start ${name}\`.`);
  }
  return runtime;
}

/**
 * argv that runs cmd inside the sandbox as its root, confined as pid 1 is, in its workdir.
 *
 * The enter step (confine/enter.ts) does the entering: it starts on the host, enters the outer
 * user namespace (which owns the sandbox's other namespaces) and those that differ from ours (a
 * `host` network sandbox shares our net namespace), takes pid 1's root, and joins the sandbox's
 * user namespace before anything runs from the sandbox's files. Then, like pid 1: a new session
 * keyring, the capability set, no_new_privs and the seccomp filter. The environment goes through a
 * private file that the enter step removes, never argv. opts.workdir replaces the sandbox's
 * working directory (`exec -w`).
 */
export function attachSpec(name: string, cmd: string[] | null, extraEnv: Record<string, string> = {}, paths?: Paths, opts: { terminal?: boolean; workdir?: string } = {}): AttachSpec {
  const runtime = runningSandbox(name, paths);
  const init = runtime.init!;
  const gone = () => new SandtrayError('WRONG_STATE', `Sandbox "${name}" went away while attaching`, `Check \`sandtray info ${name}\`.`);
  if (!runtime.monitor || !isAlive(runtime.monitor) || !runtime.confine) {
    throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" was started by an older Sandtray and cannot be attached to safely`, `Restart it: \`sandtray restart ${name}\`.`);
  }
  const namespaces: string[] = [];
  for (const ns of ATTACH_NAMESPACES) {
    const theirs = nsInode(init.pid, ns);
    if (theirs === null) throw gone();
    if (theirs !== nsInode(process.pid, ns)) namespaces.push(ns);
  }
  const arch = seccompArch();
  if (!arch) throw new SandtrayError('HOST_UNSUPPORTED', `Sandtray's seccomp filter is not built for this architecture (${process.arch})`, 'Sandtray runs on x86_64 and aarch64.');
  const caps = runtime.confine.caps.map((c) => parseCapName(c)).filter((c): c is CapName => c !== null);
  const seccomp = compileSeccomp(arch, { nesting: runtime.confine.nesting, sysAdmin: runtime.confine.sysAdmin });
  // No command given (`shell`, `run` without one): the profile's `command`, fixed at start (the
  // plan's default is the login shell).
  let inner = cmd ?? (runtime.command.length ? runtime.command : [runtime.shell, '-l']);
  // For a terminal, script(1) inside allocates the pseudo-terminal from the sandbox's own devpts,
  // so tty(1), ttyname() and job control work there; the caller's terminal stays outside.
  if (opts.terminal) inner = ['/usr/bin/script', '--quiet', '--return', '--command', inner.map(shQuote).join(' '), '/dev/null'];
  const dirs = sandboxDirs(name, paths);
  const envFile = path.join(dirs.runtime, `attach-${randomHex(8)}.env`);
  fs.writeFileSync(envFile, envFileText({ ...runtime.env, ...extraEnv }), { mode: 0o600, flag: 'wx' });
  // The bash step only where this process holds a descriptor a child would inherit (and the
  // installed launcher always); the caller spawns argv right away. The enter step closes every
  // descriptor above stdio before the command in any case.
  const argv = [
    ...closeFdsPrefixIfNeeded(2),
    ...enterArgv(
      requireTool('perl'),
      { mode: 'attach', target: init, owner: runtime.monitor, namespaces },
      { arch, caps, seccomp, chdir: opts.workdir ?? runtime.workdir, envFile },
      inner,
    ),
  ];
  return { argv, env: { ...HOST_ENV }, runtime, envFile };
}
