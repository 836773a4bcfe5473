// The verbs that change a sandbox: create, launch, start, stop, restart, delete, plus plan (what a
// start would do) and desktop entries. The policies both the CLI and the desktop follow live here
// once: restart validates before it stops; launch removes the sandbox it created when the start fails.
import { SandtrayError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import { createSandbox, type CreateOptions } from '../lifecycle/create.js';
import { deleteSandbox } from '../lifecycle/delete.js';
import { planSandbox, startSandbox } from '../lifecycle/start.js';
import { stopSandbox } from '../lifecycle/stop.js';
import { networkDriver } from '../lifecycle/network-drivers.js';
import { pendingProfileChanges, type ProfileChangeOptions } from '../runtime/applied.js';
import type { RuntimeState } from '../runtime/state.js';
import type { SandboxRecord } from '../runtime/store.js';
import { stepBase } from '../runtime/launch.js';
import { keepPreparedSteps } from '../runtime/prepared.js';

export { createSandbox, type CreateOptions } from '../lifecycle/create.js';
export { planSandbox, startSandbox, type StartOptions } from '../lifecycle/start.js';
export { stopSandbox, DEFAULT_STOP_TIMEOUT, type StopOptions } from '../lifecycle/stop.js';
export { deleteSandbox } from '../lifecycle/delete.js';
export { DEFAULT_TUNNEL_WAIT_SEC, hasTunnel, noteTunnelWaitFailure, waitForTunnel, type TunnelWait } from '../lifecycle/wait-tunnel.js';
export { exportEntry, unexportEntries, type EntryApp } from '../lifecycle/desktop-entry.js';
export { pendingProfileChanges, type ProfileChangeOptions } from '../runtime/applied.js';
export { expandRecord, profileRef } from '../profile/resolve.js';

/**
 * For an engine that lives on (the desktop): from now on a launch step waits, spawned and
 * compiled, for the next start, with the user namespace of the last start's map made ahead
 * (runtime/prepared.ts); false ends the waiting one. A tool that makes one start and exits gains
 * nothing from it.
 */
export function keepLaunchPrepared(on: boolean): void {
  keepPreparedSteps(on ? stepBase : null);
}

export interface RestartOptions extends ProfileChangeOptions {
  force?: boolean;
  timeoutSec?: number;
  paths?: Paths;
}

/**
 * Stops and starts a sandbox. The start must be able to succeed before anything is stopped: a
 * profile that no longer validates (or, with refuseProfileChanges, that changed), or a secret
 * prompt that was cancelled, leaves the sandbox running, with the reason. A sandbox that was not running is just started.
 */
export async function restartSandbox(name: string, opts: RestartOptions = {}): Promise<RuntimeState> {
  const { force = false, timeoutSec, paths, ...change } = opts;
  if (change.refuseProfileChanges) {
    const changed = pendingProfileChanges(name, paths);
    if (changed.length) throw new SandtrayError('PROFILE_CHANGED', changed.map((l) => l.replace(/^warning: /, '')).join('\n'), 'Review the profile, then restart again to apply it.');
  }
  const { plan, profile } = await planSandbox(name, paths);
  // Secrets (a VPN password) are asked for before anything is stopped: a cancelled prompt leaves
  // the sandbox running as it was.
  const driver = networkDriver(plan.network.mode);
  const secrets = driver.secrets ? await driver.secrets(name, profile) : undefined;
  await stopSandbox(name, { force, ...(timeoutSec === undefined ? {} : { timeoutSec }), ...(paths ? { paths } : {}) }).catch((err: unknown) => {
    if (!(err instanceof SandtrayError && err.code === 'WRONG_STATE')) throw err;
  });
  return startSandbox(name, paths, { ...change, ...(secrets ? { secrets } : {}) });
}

/**
 * create + start. A start that fails, or that a signal interrupts, removes the sandbox it created:
 * nothing half-made stays behind. While it runs, SIGINT, SIGHUP and SIGTERM are held and re-raised
 * once the sandbox is gone, so the caller still ends by the signal.
 */
export async function launchSandbox(name: string, create: CreateOptions, opts: { paths?: Paths; onCreated?: (rec: SandboxRecord) => void | Promise<void>; holdSignals?: boolean } = {}): Promise<RuntimeState> {
  const rec = await createSandbox(name, { ...create, ...(opts.paths ? { paths: opts.paths } : {}) });
  await opts.onCreated?.(rec);
  let caught: NodeJS.Signals | null = null;
  const listeners = opts.holdSignals === false ? [] : (['SIGINT', 'SIGHUP', 'SIGTERM'] as const).map((sig) => [sig, () => (caught ??= sig)] as const);
  for (const [sig, h] of listeners) process.on(sig, h);
  try {
    return await startSandbox(name, opts.paths);
  } catch (err) {
    await deleteSandbox(name, { force: true, ...(opts.paths ? { paths: opts.paths } : {}) }).catch(() => undefined);
    throw err;
  } finally {
    for (const [sig, h] of listeners) process.off(sig, h);
    if (caught) process.kill(process.pid, caught);
  }
}
