// delete: removes a stopped sandbox's record, home and runtime leftovers, including files owned by subordinate ids.
import fs from 'node:fs';
import { SandtrayError } from '../core/errors.js';
import { withLock } from '../core/lock.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { runTool, which } from '../host/tools.js';
import { readHostFacts } from '../host/facts.js';
import { assignIdMap } from '../idmap/assign.js';
import { unshareMapArgs } from '../idmap/map.js';
import { expandLayers } from '../profile/expand.js';
import { sandboxState } from '../runtime/state.js';
import { readRecord, sandboxDirs } from '../runtime/store.js';
import { stopSandbox } from './stop.js';

/** Deletes a sandbox; a running one only with force (then it is killed first). */
export async function deleteSandbox(name: string, opts: { force?: boolean; paths?: Paths } = {}): Promise<void> {
  const paths = opts.paths ?? sandtrayPaths();
  readRecord(name, paths);
  const dirs = sandboxDirs(name, paths);
  const { state } = sandboxState(name, paths);
  if (state !== 'STOPPED') {
    if (!opts.force) throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is ${state}`, `Stop it first (\`sandtray stop ${name}\`) or use \`sandtray delete --force ${name}\`.`);
    await stopSandbox(name, { force: true, paths });
  }
  await withLock(dirs.lock, async () => {
    if (sandboxState(name, paths).state !== 'STOPPED') throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" was started again meanwhile`, 'Stop it, then delete it.');
    fs.rmSync(dirs.runtime, { recursive: true, force: true });
    await removeTree(dirs.data);
    fs.rmSync(dirs.log, { force: true });
  }, { what: `Sandbox "${name}"` });
  fs.rmSync(dirs.lock, { force: true });
}

/**
 * Removes a sandbox directory. Files made inside by non-root ids belong to subordinate ids on the
 * host, which the user cannot remove; so the tree is removed from inside a user namespace with
 * the same map, where those ids are ours. `rm -r` never follows symlinks, so a symlink planted
 * inside cannot make this escape the directory.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw err;
  }
  const unshare = which('unshare');
  if (!unshare) throw new SandtrayError('MISSING_TOOL', `Cannot remove ${dir}: it holds files of subordinate ids and unshare is missing`, 'Install util-linux.');
  const { map } = await assignIdMap(expandLayers('x', []).profile, readHostFacts());
  // Make every directory writable first: a 0500 directory blocks rm even for root-in-userns when it owns it.
  const script = 'chmod -R u+rwX -- "$1" 2>/dev/null; rm -rf --one-file-system -- "$1"';
  const res = await runTool(unshare, ['--user', ...unshareMapArgs(map), '--', '/bin/sh', '-c', script, 'sandtray-rm', dir]);
  if (fs.existsSync(dir)) {
    throw new SandtrayError('INTERNAL', `Could not remove ${dir}: ${res.stderr || 'unknown error'}`, 'Remove it by hand from `sandtray`-created user namespace: `unshare --map-auto --map-root-user rm -rf DIR`.');
  }
}
