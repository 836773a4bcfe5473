// What `nesting: true` adds to a plan: the sandtray CLI and its runtime, read-only, on PATH.
import fs from 'node:fs';
import path from 'node:path';
import type { MountOp } from './build.js';

/** Where the CLI's files appear inside a nesting sandbox. */
export const NEST_APP = '/opt/sandtray/app';
/** Directory on PATH inside with `node` and `sandtray`. */
export const NEST_BIN = '/opt/sandtray/bin';

/** Host locations of the running CLI: the project folder (dist, node_modules, bin) and node. */
export interface CliRuntime {
  root: string;
  node: string;
}

/** Read-only binds of the CLI and node, and the `sandtray` link on PATH (none without a runtime). */
export function nestingMounts(rt: CliRuntime | null): MountOp[] {
  if (!rt) return [];
  const why = 'sandtray CLI for nested sandboxes, read-only';
  const bind = (rel: string): MountOp => ({ op: 'ro-bind', source: path.join(rt.root, rel), target: path.posix.join(NEST_APP, rel), why });
  return [
    bind('package.json'),
    bind('bin'),
    bind('dist'),
    bind('node_modules'),
    { op: 'ro-bind-try', source: path.join(rt.root, 'resources', 'profiles'), target: `${NEST_APP}/resources/profiles`, why },
    { op: 'ro-bind', source: rt.node, target: `${NEST_BIN}/node`, why: 'the node binary the CLI runs on, read-only' },
    { op: 'symlink', source: `${NEST_APP}/bin/sandtray.js`, target: `${NEST_BIN}/sandtray`, why },
  ];
}
