// Reading sandboxes without changing them: list, info, processes, assets, logs, exit status. Loads
// no lifecycle, network or VPN code (`sandtray list` stays quick; test/unit/cli-bundle.test.ts).
import fs from 'node:fs';
import type { Paths } from '../core/paths.js';
import { sandboxDirs } from '../runtime/store.js';

export { listSandboxes, sandboxInfo, type SandboxInfo, type SandboxSummary } from '../inspect/info.js';
export { sandboxOfPid, sandboxProcesses, type SandboxProcess } from '../inspect/ps.js';
export { sandboxAssets, type Asset } from '../inspect/assets.js';
export { checkName, listNames, readRecord, sandboxDirs, type SandboxDirs } from '../runtime/store.js';
export { readRuntime, sandboxState, STATES, type RuntimeState } from '../runtime/state.js';
export { followSandboxLog, formatLogLine, readSandboxLog, readTail, sandboxOutputFile, type LogLine, type LogSnapshot } from '../runtime/log.js';
export { listPids } from '../host/proc.js';

/**
 * The exit status bwrap recorded for a sandbox's pid 1 (its --json-status-fd file), or null when
 * none was written (still running, or killed before it could be).
 */
export function recordedExitCode(name: string, paths?: Paths): number | null {
  try {
    // One JSON object per line: {"child-pid": N}, then {"exit-code": N}.
    for (const line of fs.readFileSync(sandboxDirs(name, paths).exitFile, 'utf8').split('\n').reverse()) {
      if (!line.trim()) continue;
      const v = JSON.parse(line) as { 'exit-code'?: unknown };
      if (typeof v['exit-code'] === 'number') return v['exit-code'];
    }
  } catch {
    // no status written
  }
  return null;
}
