// Opening one of a sandbox's apps (its profile's `apps:`), as `sandtray open NAME APP` and the
// desktop's "Open app" both do: the sandbox is started if it is stopped, the app runs detached from
// the caller, and its output goes where pid 1's does, the sandbox's own output file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { SandtrayError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import { attachSpec } from '../attach/attach.js';
import { expandRecord } from '../profile/resolve.js';
import type { AppEntry, Profile } from '../profile/schema.js';
import type { ProfileChangeOptions } from '../runtime/applied.js';
import { sandboxOutputFile } from '../runtime/log.js';
import { sandboxState } from '../runtime/state.js';
import { readRecord, sandboxDirs } from '../runtime/store.js';
import { startSandbox } from './start.js';

/** The app APP of sandbox NAME's expanded profile, or NOT_FOUND naming the apps it has. */
export function sandboxApp(name: string, appName: string, paths?: Paths): { app: AppEntry; profile: Profile } {
  const { profile } = expandRecord(readRecord(name, paths), paths);
  const app = profile.apps.find((a) => a.name === appName);
  if (!app) {
    const known = profile.apps.map((a) => a.name);
    throw new SandtrayError('NOT_FOUND', `Sandbox "${name}" has no app "${appName}"`, known.length ? `Its apps: ${known.join(', ')}.` : `Add one to its profile, e.g. apps: [{name: ${appName}, command: [${appName}]}].`);
  }
  return { app, profile };
}

export interface OpenAppOptions extends ProfileChangeOptions {
  paths?: Paths;
}

/**
 * Runs app APP of sandbox NAME, starting the sandbox first when it is stopped (a VPN sandbox asks
 * for its secrets there, before anything is launched). Resolves once the app's process exists;
 * it is not waited for. Returns the app, and whether this call started the sandbox.
 */
export async function openSandboxApp(name: string, appName: string, opts: OpenAppOptions = {}): Promise<{ app: AppEntry; started: boolean }> {
  const { paths, ...change } = opts;
  const { app } = sandboxApp(name, appName, paths);
  let started = false;
  if (sandboxState(name, paths).state === 'STOPPED') {
    await startSandbox(name, paths, change);
    started = true;
  }
  const spec = attachSpec(name, app.command, {}, paths);
  // Its output goes where pid 1's does: the sandbox's own output file, which is the sandbox's already.
  const out = fs.openSync(sandboxOutputFile(sandboxDirs(name, paths).log), 'a', 0o600);
  try {
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), { detached: true, stdio: ['ignore', out, out], env: spec.env, cwd: '/' });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
  } catch (err) {
    fs.rmSync(spec.envFile, { force: true });
    throw err;
  } finally {
    fs.closeSync(out);
  }
  return { app, started };
}
