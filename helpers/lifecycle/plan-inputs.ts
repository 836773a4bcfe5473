// What the planner (plan/build.ts) is given rather than reads itself: the id map's derived parts,
// the network driver's answers and where the CLI runs from, so the planner stays a pure model.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IdMap } from '../core/ids.js';
import { which } from '../host/tools.js';
import { delegatedRange, subIdFiles } from '../idmap/delegate.js';
import { usernsArgv } from '../idmap/userns.js';
import { networkDriver } from './network-drivers.js';
import type { PlanInputs } from '../plan/build.js';
import type { CliRuntime } from '../plan/nesting.js';
import type { Profile } from '../profile/schema.js';

/** The planner's inputs for a profile and the id map assigned to it. */
export function planInputs(profile: Profile, map: IdMap): PlanInputs {
  const delegated = profile.nesting ? delegatedRange(map) : null;
  const driver = networkDriver(profile.network.mode);
  return {
    ids: { map, delegated, subIdFiles: subIdFiles(delegated), holders: usernsArgv(map, { nesting: profile.nesting }) },
    network: { ownNamespace: driver.ownNamespace, resolvConf: driver.resolvConf(profile), steps: driver.describe(profile) },
  };
}

/**
 * The runtime this very process runs from, so the nested CLI is the same version as ours; null
 * when there is no plain folder to bind (a packaged app keeps its code in an archive).
 */
export function cliRuntime(): CliRuntime | null {
  // dist/helpers/lifecycle/plan-inputs.js -> the project folder.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  // Inside Electron (the tray) execPath is Electron itself, not node: use the host's node.
  const node = process.versions['electron'] ? which('node') : process.execPath;
  if (!node || !isDir(path.join(root, 'dist')) || !isDir(path.join(root, 'node_modules'))) return null;
  try {
    return { root, node: fs.realpathSync(node) };
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
