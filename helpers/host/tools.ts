// Finding the system tools we drive, and the one place that spawns them.
import fs from 'node:fs';
import path from 'node:path';
import type { SpawnOptions } from './spawn.js';
import { SandtrayError } from '../core/errors.js';

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a tool on PATH (plus the sbin directories), or null. */
export function which(tool: string): string | null {
  const searchPath = process.env['PATH'] ?? '';
  // A long-lived engine looks the same tools up on every start: a path found before is checked
  // again (still an executable file) instead of searching every folder anew.
  const key = `${tool}\0${searchPath}`;
  const known = found.get(key);
  if (known && executableFile(known)) return known;
  found.delete(key);
  const dirs = [...searchPath.split(':').filter(Boolean), ...SYSTEM_PATH];
  for (const d of dirs) {
    const p = path.join(d, tool);
    if (executableFile(p)) {
      found.set(key, p);
      return p;
    }
  }
  return null;
}

const found = new Map<string, string>();

function executableFile(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Debian package that provides each tool, for install hints. */
export const TOOL_PACKAGES: Record<string, string> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  script: 'bsdutils',
  bwrap: 'bubblewrap',
  newuidmap: 'uidmap',
  newgidmap: 'uidmap',
  getsubids: 'uidmap',
  pasta: 'passt',
  ip: 'iproute2',
  openvpn: 'openvpn',
  wg: 'wireguard-tools',
  'wireguard-go': 'wireguard-go',
};

/** Path of a required tool; throws MISSING_TOOL with the install command when absent. */
export function requireTool(tool: string): string {
  const p = which(tool);
  if (p) return p;
  const pkg = TOOL_PACKAGES[tool] ?? tool;
  throw new SandtrayError('MISSING_TOOL', `${tool} is not installed`, `Install it: sudo apt install ${pkg} (Debian/Ubuntu) or your distribution's ${pkg} package.`);
}

/** Runs a tool to completion and returns its output; never throws on a non-zero exit. */
export async function runTool(file: string, args: readonly string[], opts: Partial<SpawnOptions> = {}) {
  // Imported here: the commands that only look tools up (exec, shell) load no execa.
  const { hostEnv, spawnTool } = await import('./spawn.js');
  return spawnTool(file, args, { reject: false, stdin: 'ignore', ...opts, env: opts.env ?? hostEnv() });
}
