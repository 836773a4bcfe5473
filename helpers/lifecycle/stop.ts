// stop: RUNNING -> STOPPING -> STOPPED; SIGTERM to pid 1, SIGKILL after the timeout or at once with force.
import { SandtrayError } from '../core/errors.js';
import { withLock } from '../host/lock.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { removeStatePath } from '../core/trust.js';
import { selfId } from '../host/proc.js';
import { logEvent } from '../runtime/log.js';
import { sandboxState, writeRuntime } from '../runtime/state.js';
import { readRecord, ensureSandtrayDirs, sandboxDirs } from '../runtime/store.js';
import { killRecorded, killTree, signalProc } from '../runtime/kill.js';
import { networkDriver } from './network-drivers.js';
import { stopLeftoverHelpers } from '../network/helper-proc.js';
import type { Profile } from '../profile/schema.js';

export interface StopOptions {
  timeoutSec?: number;
  force?: boolean;
  paths?: Paths;
}

export const DEFAULT_STOP_TIMEOUT = 10;

/** Stops a running sandbox; returns whether it ended cleanly or had to be killed. */
export async function stopSandbox(name: string, opts: StopOptions = {}): Promise<'clean' | 'killed'> {
  const paths = opts.paths ?? sandtrayPaths();
  // Every folder touched below belongs to us and no one else can write it (core/trust.ts).
  ensureSandtrayDirs(paths);
  readRecord(name, paths);
  const dirs = sandboxDirs(name, paths);
  return withLock(dirs.lock, async () => {
    const { state, runtime } = sandboxState(name, paths);
    if (state === 'STOPPED' || !runtime) {
      // Leftovers of a sandbox killed from outside are cleared on the way.
      await stopLeftoverHelpers(runtime?.helpers);
      // So are processes a start killed half-way recorded (bwrap's monitor before pid 1 was known).
      await killRecorded(runtime);
      // A link planted in place of the runtime directory is removed as a link, never followed.
      removeStatePath(dirs.runtime);
      throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is not running`, `Start it with \`sandtray start ${name}\`.`);
    }
    writeRuntime(dirs, { ...runtime, phase: 'stopping', actor: selfId() });
    logEvent(dirs.log, opts.force ? 'stopping (forced)' : 'stopping');
    const timeoutMs = opts.force ? 0 : Math.max(0, (opts.timeoutSec ?? DEFAULT_STOP_TIMEOUT) * 1000);
    const how = await killTree(runtime.init, runtime.monitor, timeoutMs);
    try {
      await networkDriver(runtime.network as Profile['network']['mode']).teardown(runtime.helpers, dirs);
    } catch (err) {
      logEvent(dirs.log, `network teardown: ${(err as Error).message}`);
    }
    for (const h of runtime.helpers) signalProc(h, 'SIGKILL');
    removeStatePath(dirs.runtime);
    logEvent(dirs.log, how === 'clean' ? 'stopped' : 'stopped (killed after timeout)');
    return how;
  }, { what: `Sandbox "${name}"` });
}
