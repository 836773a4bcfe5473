// start: STOPPED -> STARTING -> RUNNING, or STARTING -> ABORTING -> STOPPED with nothing left behind.
import fs from 'node:fs';
import { SandtrayError, asSandtrayError } from '../core/errors.js';
import { withLock } from '../core/lock.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { Revert } from '../core/revert.js';
import { readHostFacts } from '../host/facts.js';
import { selfId } from '../host/proc.js';
import { assignIdMap, releaseIds } from '../idmap/assign.js';
import { buildPlan, type Plan } from '../plan/build.js';
import { checkProfileOnHost } from '../profile/check.js';
import { expandRecord } from '../profile/resolve.js';
import { launch, writeEtc } from '../runtime/launch.js';
import { logEvent, logTail } from '../runtime/log.js';
import { sandboxState, writeRuntime, type RuntimeState } from '../runtime/state.js';
import { ensurePrivateDir, readRecord, sandboxDirs } from '../runtime/store.js';
import { killTree } from './kill.js';
import { networkDriver } from '../network/drivers.js';
import { stopLeftoverHelpers } from '../network/helper-proc.js';
import type { Profile } from '../profile/schema.js';

/**
 * Computes the plan a start would run, without running anything. With takeLease (start), an
 * isolated sandbox without a lease gets one; leaseTaken then tells the caller to undo it on failure.
 */
export async function planSandbox(name: string, paths: Paths = sandtrayPaths(), opts: { takeLease?: boolean } = {}): Promise<{ plan: Plan; idmapNote: string | null; profile: Profile; leaseTaken: boolean }> {
  const rec = readRecord(name, paths);
  const { profile, origins } = expandRecord(rec, paths);
  checkProfileOnHost(profile);
  const facts = readHostFacts();
  const assigned = await assignIdMap(profile, facts, { name, paths, takeLease: opts.takeLease ?? false, sizeIsDefault: origins['idmap.size'] === 'default' });
  try {
    const dirs = sandboxDirs(name, paths);
    const plan = buildPlan(name, profile, assigned.map, facts, { etcDir: dirs.etc, homeDir: dirs.home });
    return { plan, idmapNote: assigned.note, profile, leaseTaken: assigned.leaseTaken };
  } catch (err) {
    if (assigned.leaseTaken) await releaseIds(name, paths).catch(() => undefined);
    throw err;
  }
}

/** Starts a stopped sandbox and returns once its pid 1 is up. */
export async function startSandbox(name: string, paths: Paths = sandtrayPaths()): Promise<RuntimeState> {
  readRecord(name, paths);
  const dirs = sandboxDirs(name, paths);
  ensurePrivateDir(paths.runtime);
  return withLock(dirs.lock, async () => {
    const cur = sandboxState(name, paths);
    if (cur.state !== 'STOPPED') {
      throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is already ${cur.state}`, cur.state === 'RUNNING' ? `Open a shell with \`sandtray shell ${name}\`, or use \`sandtray restart ${name}\`.` : 'Wait for it to settle (`sandtray wait`), then try again.');
    }
    // A sandbox killed from outside leaves its runtime directory: clear it before starting again.
    await stopLeftoverHelpers(cur.runtime?.helpers);
    fs.rmSync(dirs.runtime, { recursive: true, force: true });
    const { plan, idmapNote, profile, leaseTaken } = await planSandbox(name, paths, { takeLease: true });

    const revert = new Revert();
    // A lease taken by this start (the profile turned isolated after create) goes if the start fails.
    if (leaseTaken) revert.add('release id lease', () => releaseIds(name, paths));
    const rt: RuntimeState = {
      phase: 'starting', actor: selfId(), init: null, monitor: null, startedAt: null, namespaces: {},
      idmap: plan.idmap, mounts: plan.mounts.map((m) => ({ op: m.op, target: m.target, ...('source' in m ? { source: m.source } : {}) })),
      network: plan.network.mode, env: plan.env, shell: plan.shell, command: plan.command, workdir: plan.workdir,
      idmapNote, helpers: [],
    };
    try {
      ensurePrivateDir(dirs.runtime);
      revert.add('remove runtime directory', () => fs.rmSync(dirs.runtime, { recursive: true, force: true }));
      writeRuntime(dirs, rt);
      logEvent(dirs.log, 'starting');
      fs.mkdirSync(dirs.home, { recursive: true, mode: 0o700 });
      writeEtc(plan, dirs.etc);
      const launched = await launch(plan, dirs.log, dirs.exitFile);
      revert.add('stop sandbox processes', () => killTree(launched.init, launched.monitor, 0));
      const driver = networkDriver(plan.network.mode);
      rt.helpers = await driver.setup({ name, profile, dirs, init: launched.init, revert, log: (m) => logEvent(dirs.log, m) });
      revert.add('tear down network', () => driver.teardown(rt.helpers, dirs));
      rt.init = launched.init;
      rt.monitor = launched.monitor;
      rt.namespaces = launched.namespaces;
      rt.startedAt = new Date().toISOString();
      rt.phase = 'running';
      rt.actor = null;
      writeRuntime(dirs, rt);
      revert.success();
      logEvent(dirs.log, `running, pid 1 is host pid ${launched.init.pid}`);
      return rt;
    } catch (err) {
      // ABORTING is visible to `monitor` while the revert runs.
      try {
        writeRuntime(dirs, { ...rt, phase: 'aborting', actor: selfId() });
      } catch {
        // the runtime directory may be what failed
      }
      const e = asSandtrayError(err, 'Start failed');
      logEvent(dirs.log, `start failed: ${e.message}`);
      const failures = await revert.run();
      const tail = logTail(dirs.log, 6);
      const left = failures.length ? `\nCleanup problems: ${failures.join('; ')}` : '';
      throw new SandtrayError('START_FAILED', `Cannot start sandbox "${name}": ${e.message}${left}${tail ? `\nLast log lines:\n${tail}` : ''}`, e.hint ?? `See \`sandtray log ${name}\` and run \`sandtray doctor\`.`, err);
    }
  }, { what: `Sandbox "${name}"` });
}
