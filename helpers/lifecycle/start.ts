// start: STOPPED -> STARTING -> RUNNING, or STARTING -> ABORTING -> STOPPED with nothing left behind.
import fs from 'node:fs';
import { SandtrayError, asSandtrayError } from '../core/errors.js';
import { withLock } from '../host/lock.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { Revert } from '../core/revert.js';
import { readHostFacts } from '../host/facts.js';
import { selfId } from '../host/proc.js';
import { assignIdMap, releaseIds } from '../idmap/assign.js';
import { buildPlan, type Plan } from '../plan/build.js';
import { checkProfileOnHost } from './host-checks.js';
import { cliRuntime, planInputs } from './plan-inputs.js';
import { expandRecord } from '../profile/resolve.js';
import { beginLaunch, launch, writeEtc } from '../runtime/launch.js';
import { logEvent, logTail, sandboxOutputFile } from '../runtime/log.js';
import { sandboxState, writeRuntime, type RuntimeState } from '../runtime/state.js';
import { ensurePrivateDir, ensureSandtrayDirs, readRecord, sandboxDirs } from '../runtime/store.js';
import { removeStatePath } from '../core/trust.js';
import { noticeProfileChanges, writeApplied, type LayerFile, type ProfileChangeOptions } from '../runtime/applied.js';
import { killRecorded } from '../runtime/kill.js';
import { Interrupts } from './interrupt.js';
import { networkDriver } from './network-drivers.js';
import type { HelperProc } from '../network/driver.js';
import { stopHelper, stopLeftoverHelpers } from '../network/helper-proc.js';
import type { Profile } from '../profile/schema.js';
import { securityContextNote, securityContextOffer } from '../runtime/wayland-globals.js';
import { WAYLAND_INSIDE } from '../plan/graphics.js';
import { busSocketPath, startBusProxy, tieBusProxy, type RunningBusProxy } from '../network/bus-proxy.js';

/**
 * Computes the plan a start would run, without running anything. With takeLease (start), an
 * isolated sandbox without a lease gets one; leaseTaken then tells the caller to undo it on failure.
 */
export async function planSandbox(name: string, paths: Paths = sandtrayPaths(), opts: { takeLease?: boolean } = {}): Promise<{ plan: Plan; idmapNote: string | null; profile: Profile; leaseTaken: boolean; layerFiles: LayerFile[] }> {
  const rec = readRecord(name, paths);
  const { profile, origins, layerFiles } = expandRecord(rec, paths);
  checkProfileOnHost(profile);
  const facts = readHostFacts();
  const assigned = await assignIdMap(profile, facts, { name, paths, takeLease: opts.takeLease ?? false, sizeIsDefault: origins['idmap.size'] === 'default' });
  try {
    const dirs = sandboxDirs(name, paths);
    const plan = buildPlan(name, profile, planInputs(profile, assigned.map), facts, { etcDir: dirs.etc, homeDir: dirs.home, busSocket: busSocketPath(dirs) }, { runtime: profile.nesting ? cliRuntime() : null });
    return { plan, idmapNote: assigned.note, profile, leaseTaken: assigned.leaseTaken, layerFiles };
  } catch (err) {
    if (assigned.leaseTaken) await releaseIds(name, paths).catch(() => undefined);
    throw err;
  }
}

/**
 * Starts a stopped sandbox and returns once its pid 1 is up. When a profile file changed since the
 * last start, opts.onProfileChange hears which keys (or, with refuseProfileChanges, the start is
 * refused with PROFILE_CHANGED so the caller can ask first).
 */
export interface StartOptions extends ProfileChangeOptions {
  /** The secrets the network driver needs, already asked for (restart asks before it stops). */
  secrets?: Record<string, string>;
}

export async function startSandbox(name: string, paths: Paths = sandtrayPaths(), opts: StartOptions = {}): Promise<RuntimeState> {
  // SIGINT, SIGHUP and SIGTERM end the start at its next step, which reverts all it did; SIGKILL
  // cannot be caught, so each process is recorded the moment it exists (see launch's hooks).
  const interrupts = new Interrupts(`The start of sandbox "${name}"`, (sig) => {
    try {
      logEvent(sandboxDirs(name, paths).log, `interrupted (${sig}): the start ends at its next step and reverts`);
    } catch {
      // the log is not essential here
    }
  });
  try {
    return await startLocked(name, paths, opts, interrupts);
  } finally {
    interrupts.done();
  }
}

async function startLocked(name: string, paths: Paths, opts: StartOptions, interrupts: Interrupts): Promise<RuntimeState> {
  // Every folder touched below belongs to us and no one else can write it (core/trust.ts).
  ensureSandtrayDirs(paths);
  readRecord(name, paths);
  const dirs = sandboxDirs(name, paths);
  return withLock(dirs.lock, async () => {
    const cur = sandboxState(name, paths);
    if (cur.state !== 'STOPPED') {
      throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" is already ${cur.state}`, cur.state === 'RUNNING' ? `Open a shell with \`sandtray shell ${name}\`, or use \`sandtray restart ${name}\`.` : 'Wait for it to settle (`sandtray wait`), then try again.');
    }
    // A sandbox killed from outside (or a start killed half-way) leaves its runtime directory:
    // end whatever it still names, then clear it before starting again.
    await stopLeftoverHelpers(cur.runtime?.helpers);
    await killRecorded(cur.runtime);
    removeStatePath(dirs.runtime);
    interrupts.check();
    const { plan, idmapNote, profile, leaseTaken, layerFiles } = await planSandbox(name, paths, { takeLease: true });
    const driver = networkDriver(plan.network.mode);
    let secrets: Record<string, string> | undefined;
    try {
      // A profile file may have changed since the owner last saw it applied: say which keys.
      noticeProfileChanges(dirs, layerFiles, opts);
      // Secrets are asked for before anything is launched: a prompt left unanswered (a closed
      // terminal, a quit app) then leaves nothing running.
      if (opts.secrets) secrets = opts.secrets;
      else if (driver.secrets) secrets = await interrupts.race(driver.secrets(name, profile));
      interrupts.check();
    } catch (err) {
      if (leaseTaken) await releaseIds(name, paths).catch(() => undefined);
      throw err;
    }

    const revert = new Revert();
    // What launch has reported so far; the ABORTING record names it too.
    let recorded: Pick<RuntimeState, 'init' | 'monitor'> = { init: null, monitor: null };
    // A lease taken by this start (the profile turned isolated after create) goes if the start fails.
    if (leaseTaken) revert.add('release id lease', () => releaseIds(name, paths));
    // A prepared launch step (long-lived engines: runtime/prepared.ts) makes the user namespaces
    // while the engine writes the record and the /etc files below.
    const early = beginLaunch(plan);
    if (early) revert.add('end the launch step', () => early.cancel());
    // That step is the process that becomes bwrap's monitor: the record names it from its first write.
    if (early?.monitor) recorded = { init: null, monitor: early.monitor };
    const rt: RuntimeState = {
      phase: 'starting', actor: selfId(), init: null, monitor: recorded.monitor, startedAt: null, namespaces: {},
      idmap: plan.idmap, mounts: plan.mounts.map((m) => ({ op: m.op, target: m.target, ...('source' in m ? { source: m.source } : {}) })),
      network: plan.network.mode, env: plan.env, shell: plan.shell, command: plan.command, workdir: plan.workdir,
      idmapNote, helpers: [], desktop: plan.desktop, stopWhenIdle: plan.stopWhenIdle,
      confine: { caps: plan.confine.caps, nesting: plan.confine.seccomp.nesting, sysAdmin: plan.confine.seccomp.sysAdmin },
    };
    try {
      ensurePrivateDir(dirs.runtime);
      revert.add('remove runtime directory', () => {
        removeStatePath(dirs.runtime);
      });
      writeRuntime(dirs, rt);
      logEvent(dirs.log, 'starting');
      // What the compositor offers: the plain socket is bound either way (plan/graphics.ts).
      const wl = plan.mounts.find((m) => m.target === WAYLAND_INSIDE && 'source' in m);
      if (wl && 'source' in wl) {
        const offer = await securityContextOffer(wl.source);
        rt.wayland = { socket: wl.source, securityContext: offer };
        rt.desktop = [...(rt.desktop ?? []), securityContextNote(offer)];
        writeRuntime(dirs, rt);
        interrupts.check();
      }
      fs.mkdirSync(dirs.home, { recursive: true, mode: 0o700 });
      writeEtc(plan, dirs.etc);
      interrupts.check();
      // Each process is in the runtime record the moment it exists, so a start killed at any
      // step leaves a record that names it: read as RUNNING (pid 1 up: `stop` ends it) or STOPPED
      // (the next start, stop or delete ends what it names). A hook that throws ends the launch.
      revert.add('stop sandbox processes', () => killRecorded(recorded));
      // dbus: filtered: the sandbox's own bus proxy listens before the sandbox binds its socket.
      let proxy: RunningBusProxy | null = null;
      if (plan.busProxy) {
        proxy = await startBusProxy(plan.busProxy, dirs.log);
        const helper = proxy.helper;
        revert.add('stop the D-Bus proxy', () => stopHelper(helper));
        rt.helpers = [helper];
        writeRuntime(dirs, rt);
        logEvent(dirs.log, `D-Bus proxy running (host pid ${helper.pid}), filtered`);
        interrupts.check();
      }
      // Pid 1's stdout and stderr go to the sandbox's own output file, never to the lifecycle log:
      // code inside reaches them through /proc/1/fd/1 and could rewrite whatever they point to.
      const launched = await launch(plan, sandboxOutputFile(dirs.log), dirs.exitFile, {
        onMonitor: (monitor) => {
          if (recorded.monitor?.pid === monitor.pid && recorded.monitor.start === monitor.start) return;
          recorded = { init: null, monitor };
          writeRuntime(dirs, { ...rt, monitor });
          interrupts.check();
        },
        onInit: (init, monitor) => {
          recorded = { init, monitor };
          writeRuntime(dirs, { ...rt, init, monitor });
          interrupts.check();
        },
      }, false, early).catch((err: unknown) => {
        proxy?.release();
        throw err;
      });
      rt.init = launched.init;
      rt.monitor = launched.monitor;
      rt.namespaces = launched.namespaces;
      if (proxy) {
        // From now on the proxy lives as long as pid 1 (network/bus-proxy.ts).
        try {
          const watch = tieBusProxy(proxy, launched.init, dirs.log);
          revert.add('stop the D-Bus proxy watch', () => stopHelper(watch));
          rt.helpers = [...rt.helpers, watch];
        } finally {
          proxy.release();
        }
      }
      // With helpers to come, the record names pid 1's namespaces before they start (the final
      // write below does it for a sandbox without network).
      if (proxy || plan.network.mode !== 'none') writeRuntime(dirs, rt);
      interrupts.check();
      const onHelper = (h: HelperProc): void => {
        rt.helpers = [...rt.helpers, h];
        writeRuntime(dirs, rt);
      };
      const own = rt.helpers;
      rt.helpers = [...own, ...await driver.setup({ name, profile, dirs, init: launched.init, revert, log: (m) => logEvent(dirs.log, m), onHelper, ...(secrets ? { secrets } : {}) })];
      revert.add('tear down network', () => driver.teardown(rt.helpers, dirs));
      interrupts.check();
      rt.startedAt = new Date().toISOString();
      rt.phase = 'running';
      rt.actor = null;
      writeRuntime(dirs, rt);
      revert.success();
      // What this start applied is what the next one compares with.
      try {
        writeApplied(dirs, layerFiles, 'start');
      } catch (err) {
        logEvent(dirs.log, `could not record the profiles applied: ${(err as Error).message}`);
      }
      logEvent(dirs.log, `running, pid 1 is host pid ${launched.init.pid}`);
      return rt;
    } catch (err) {
      // ABORTING is visible to `monitor` while the revert runs.
      try {
        writeRuntime(dirs, { ...rt, ...(rt.init ? {} : recorded), phase: 'aborting', actor: selfId() });
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
