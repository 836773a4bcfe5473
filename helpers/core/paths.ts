// XDG locations of Sandtray's state: config (profiles), data (sandboxes), state (logs), runtime.
//
// These are only names. Whether a folder may be trusted (it belongs to the user, no one else can
// write it or anything above it) is checked where it is used: core/trust.ts.
import os from 'node:os';
import path from 'node:path';

export interface Paths {
  config: string;
  data: string;
  state: string;
  runtime: string;
}

function xdg(env: NodeJS.ProcessEnv, envName: string, fallback: string): string {
  const v = env[envName];
  // The XDG spec says relative values are invalid and must be ignored.
  return v && path.isAbsolute(v) ? v : fallback;
}

/**
 * The runtime folder used when XDG_RUNTIME_DIR is unset (su, cron, ssh without logind):
 * /tmp/sandtray-UID (os.tmpdir(), so $TMPDIR when set). Anyone can create that name in /tmp before
 * us, so trust.ts creates it with mkdir 0700 and accepts it only as a real directory of ours, mode 0700.
 */
export function runtimeFallbackRoot(uid: number = process.getuid?.() ?? 0): string {
  const tmp = os.tmpdir();
  return path.join(path.isAbsolute(tmp) ? tmp : '/tmp', `sandtray-${uid}`);
}

/** Resolves Sandtray's directories from the XDG environment of the current user. */
export function sandtrayPaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = env['HOME'] && path.isAbsolute(env['HOME']) ? env['HOME'] : os.homedir();
  const runtimeBase = xdg(env, 'XDG_RUNTIME_DIR', '') || runtimeFallbackRoot();
  return {
    config: path.join(xdg(env, 'XDG_CONFIG_HOME', path.join(home, '.config')), 'sandtray'),
    data: path.join(xdg(env, 'XDG_DATA_HOME', path.join(home, '.local', 'share')), 'sandtray'),
    state: path.join(xdg(env, 'XDG_STATE_HOME', path.join(home, '.local', 'state')), 'sandtray'),
    runtime: path.join(runtimeBase, 'sandtray'),
  };
}
