// XDG locations of Sandtray's state: config (profiles), data (sandboxes), state (logs), runtime.
import os from 'node:os';
import path from 'node:path';

export interface Paths {
  config: string;
  data: string;
  state: string;
  runtime: string;
}

function xdg(envName: string, fallback: string): string {
  const v = process.env[envName];
  // The XDG spec says relative values are invalid and must be ignored.
  return v && path.isAbsolute(v) ? v : fallback;
}

/** Resolves Sandtray's directories from the XDG environment of the current user. */
export function sandtrayPaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = env['HOME'] && path.isAbsolute(env['HOME']) ? env['HOME'] : os.homedir();
  const uid = process.getuid?.() ?? 0;
  const runtimeBase = xdg('XDG_RUNTIME_DIR', '') || path.join(os.tmpdir(), `sandtray-${uid}`);
  return {
    config: path.join(xdg('XDG_CONFIG_HOME', path.join(home, '.config')), 'sandtray'),
    data: path.join(xdg('XDG_DATA_HOME', path.join(home, '.local', 'share')), 'sandtray'),
    state: path.join(xdg('XDG_STATE_HOME', path.join(home, '.local', 'state')), 'sandtray'),
    runtime: path.join(runtimeBase, 'sandtray'),
  };
}
