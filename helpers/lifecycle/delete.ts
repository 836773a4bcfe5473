// delete: removes a stopped sandbox's record, home and runtime leftovers, including files owned by subordinate ids.
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { withLock } from '../host/lock.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { checkStateDir, removeStatePath } from '../core/trust.js';
import { which } from '../host/tools.js';
import { readHostFacts } from '../host/facts.js';
import { releaseIds, removalIdMap } from '../idmap/assign.js';
import type { IdMap } from '../idmap/map.js';
import { runInUserns } from '../idmap/userns.js';
import { sandboxOutputFile } from '../runtime/log.js';
import { sandboxState } from '../runtime/state.js';
import { DamagedRecordError, readRecord, sandboxDirs, ensureSandtrayDirs } from '../runtime/store.js';
import { stopLeftoverHelpers } from '../network/helper-proc.js';
import { killRecorded } from '../runtime/kill.js';
import { stopSandbox } from './stop.js';
import { forgetVpnSandbox } from '../vpn/forget.js';
import { applicationsDir, unexportEntries } from './desktop-entry.js';

/** Deletes a sandbox; a running one only with force (then it is killed first). */
export async function deleteSandbox(name: string, opts: { force?: boolean; paths?: Paths } = {}): Promise<void> {
  const paths = opts.paths ?? sandtrayPaths();
  // Every folder touched below belongs to us and no one else can write it (core/trust.ts).
  ensureSandtrayDirs(paths);
  // A damaged record goes with --force: what its runtime record names is killed below.
  let damaged = false;
  try {
    readRecord(name, paths);
  } catch (err) {
    if (!(err instanceof DamagedRecordError && opts.force)) throw err;
    damaged = true;
  }
  const dirs = sandboxDirs(name, paths);
  const { state } = sandboxState(name, paths);
  if (state !== 'STOPPED') {
    if (!opts.force) throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is ${state}`, `Stop it first (\`sandtray stop ${name}\`) or use \`sandtray delete --force ${name}\`.`);
    if (!damaged) await stopSandbox(name, { force: true, paths });
  }
  await withLock(dirs.lock, async () => {
    const now = sandboxState(name, paths);
    if (now.state !== 'STOPPED' && !damaged) throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" was started again meanwhile`, 'Stop it, then delete it.');
    // Whatever the runtime record still names (a start killed half-way, helpers of a sandbox
    // killed from outside, a damaged sandbox's processes) ends before its record goes.
    await stopLeftoverHelpers(now.runtime?.helpers);
    await killRecorded(now.runtime);
    // Secrets are keyed by sandbox name: a later sandbox of the same name must not inherit them.
    await forgetVpnSandbox(name, paths).catch(() => undefined);
    // Links planted in place of these are removed as links, never followed.
    removeStatePath(dirs.runtime);
    // The sandbox's own map: an isolated sandbox's files belong to its lease, not the shared block.
    await removeTree(dirs.data, await removalIdMap(name, readHostFacts(), paths));
    removeStatePath(dirs.log);
    removeStatePath(sandboxOutputFile(dirs.log));
    // Freed only once its files are gone: they still belong to those ids until then.
    await releaseIds(name, paths);
  }, { what: `Sandbox "${name}"` });
  removeStatePath(dirs.lock);
  // Its desktop entries (`sandtray export`) would start a sandbox that is gone; only those Sandtray
  // wrote for this sandbox go, and the sandbox is deleted whatever happens to them.
  try {
    unexportEntries(name, undefined, applicationsDir(paths));
  } catch {
    // left for `sandtray unexport NAME`
  }
}

/**
 * Removes a sandbox directory. Files made inside by non-root ids belong to subordinate ids on the
 * host, which the user cannot remove; so the tree is removed from inside a user namespace with
 * `map` (the sandbox's own: its lease, or the shared map), where those ids are ours.
 *
 * The folder holding dir is checked first (core/trust.ts), and dir is taken in it: a link planted
 * in place of dir is removed as a link. Nothing below follows a symlink the sandbox may have
 * planted either: Node's rm and `find -P` never do, chmod only touches the directories find names
 * (never a link), and `rm -r` unlinks links without following them. `--one-file-system` keeps rm
 * off anything mounted below. The sandbox is stopped, so nothing inside can swap a directory for a
 * link meanwhile.
 */
export async function removeTree(dir: string, map?: IdMap): Promise<void> {
  try {
    removeStatePath(dir);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw err;
  }
  const parent = checkStateDir(path.dirname(path.resolve(dir)));
  const real = parent === null ? null : path.join(parent, path.basename(dir));
  const st = real === null ? null : fs.lstatSync(real, { throwIfNoEntry: false });
  if (!real || !st) return;
  if (!st.isDirectory()) throw new SandtrayError('INTERNAL', `Cannot remove ${dir}: it is no longer a directory`, 'Look at it, then remove it by hand.');
  if (!which('unshare')) throw new SandtrayError('MISSING_TOOL', `Cannot remove ${dir}: it holds files of subordinate ids and unshare is missing`, 'Install util-linux.');
  const facts = readHostFacts();
  const idmap = map ?? (await removalIdMap(path.basename(dir), facts, sandtrayPaths()));
  // Root of the namespace may ignore modes only on files whose owner is mapped; a directory whose
  // owner is not must at least be ours to open: make directories without u+rwx usable first.
  const script = 'find -P "$1" -xdev -type d ! -perm -u=rwx -exec chmod u+rwx -- {} \\; 2>/dev/null; exec rm -rf --one-file-system -- "$1"';
  const res = await runInUserns(idmap, ['/bin/sh', '-c', script, 'sandtray-rm', real]);
  if (fs.existsSync(real)) {
    throw new SandtrayError(
      'IDMAP',
      `Could not remove ${dir}: ${res.stderr.trim().split('\n').slice(-3).join('; ') || 'unknown error'}`,
      'Some files belong to ids outside the sandbox\'s id map (see `sandtray idmap`). Remove them by hand from a user namespace that maps them, e.g. `unshare --map-auto --map-root-user rm -rf DIR`.',
    );
  }
}
