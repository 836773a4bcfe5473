// assets: every file, directory and process a sandbox consists of, and whether each is as it should be.
import fs from 'node:fs';
import type { Paths } from '../core/paths.js';
import { sandtrayPaths } from '../core/paths.js';
import { isAlive } from '../host/proc.js';
import { profileFile } from '../profile/resolve.js';
import { sandboxOutputFile } from '../runtime/log.js';
import { sandboxState } from '../runtime/state.js';
import { readRecord, sandboxDirs } from '../runtime/store.js';

export interface Asset {
  type: 'file' | 'directory' | 'process' | 'profile';
  path: string;
  purpose: string;
  valid: boolean;
  problem?: string;
}

function fileAsset(type: 'file' | 'directory', p: string, purpose: string, required: boolean): Asset {
  let valid = !required;
  let problem: string | undefined = required ? 'missing' : undefined;
  try {
    const st = fs.lstatSync(p);
    const ok = type === 'directory' ? st.isDirectory() : st.isFile();
    valid = ok;
    problem = ok ? undefined : `not a ${type}`;
  } catch {
    // stays as above
  }
  return { type, path: p, purpose, valid, ...(problem && (required || valid === false) ? { problem } : {}) };
}

/** The assets of one sandbox, as `osctl ct assets` lists a container's. */
export function sandboxAssets(name: string, paths: Paths = sandtrayPaths()): Asset[] {
  const rec = readRecord(name, paths);
  const dirs = sandboxDirs(name, paths);
  const { state, runtime } = sandboxState(name, paths);
  const running = state !== 'STOPPED';
  const out: Asset[] = [
    fileAsset('directory', dirs.data, 'sandbox data directory', true),
    fileAsset('file', dirs.record, 'sandbox record (profiles and overrides)', true),
    fileAsset('directory', dirs.home, 'private home, /root inside', true),
    fileAsset('directory', dirs.etc, 'generated /etc files', true),
    fileAsset('file', dirs.log, 'lifecycle log (written by Sandtray only)', false),
    fileAsset('file', sandboxOutputFile(dirs.log), "the sandbox's own output (pid 1's stdout and stderr)", false),
    fileAsset('directory', dirs.runtime, 'runtime directory', running),
    fileAsset('file', dirs.stateFile, 'runtime state (pids, namespaces, id map)', running),
    fileAsset('file', dirs.exitFile, "bwrap's exit status of pid 1", running),
  ];
  for (const ref of rec.profiles) {
    let file = ref;
    let valid = true;
    let problem: string | undefined;
    try {
      file = profileFile(ref, paths);
    } catch (err) {
      valid = false;
      problem = (err as Error).message;
    }
    out.push({ type: 'profile', path: file, purpose: `profile layer "${ref}"`, valid, ...(problem ? { problem } : {}) });
  }
  if (runtime && running) {
    const procs = [
      [runtime.init, 'pid 1 of the sandbox (sandtray-init)'],
      [runtime.monitor, "bwrap's monitor outside the sandbox"],
      ...runtime.helpers.map((h) => [h, h.what] as const),
    ] as const;
    for (const [id, purpose] of procs) {
      if (!id) continue;
      const valid = isAlive(id);
      out.push({ type: 'process', path: `/proc/${id.pid}`, purpose, valid, ...(valid ? {} : { problem: 'not running (or pid reused)' }) });
    }
  }
  return out;
}
