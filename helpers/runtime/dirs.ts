// Where each sandbox lives on disk, by name, and whether its record is there: what `exec` and the
// runtime state (state.ts) need of the store, without the profile schema the record is checked
// against (store.ts), which is most of what a quick command would otherwise spend before it acts.
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { checkStateDir, readStateFile } from '../core/trust.js';
import { NAME_RE } from '../profile/name.js';

export interface SandboxDirs {
  data: string;
  record: string;
  home: string;
  etc: string;
  runtime: string;
  stateFile: string;
  exitFile: string;
  lock: string;
  log: string;
}

/** Checks a sandbox name, with a suggestion when it is not DNS-label-like. */
export function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    const fixed = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
    throw new SandtrayError('INVALID_NAME', `"${name}" is not a valid sandbox name: use 1-63 lowercase letters, digits or "-", not starting or ending with "-"`, fixed ? `Try "${fixed}".` : 'Pick a name like "dev" or "work-vpn".');
  }
  return name;
}

/** The on-disk locations of one sandbox. */
export function sandboxDirs(name: string, paths: Paths = sandtrayPaths()): SandboxDirs {
  const data = path.join(paths.data, 'sandboxes', name);
  const runtime = path.join(paths.runtime, name);
  return {
    data,
    record: path.join(data, 'sandbox.json'),
    home: path.join(data, 'home'),
    etc: path.join(data, 'etc'),
    runtime,
    stateFile: path.join(runtime, 'state.json'),
    exitFile: path.join(runtime, 'exit.json'),
    lock: path.join(paths.runtime, `${name}.lock`),
    log: path.join(paths.state, 'logs', `${name}.log`),
  };
}

/** A sandbox whose record exists, in a trusted folder, but cannot be read as a record. */
export class DamagedRecordError extends SandtrayError {
  constructor(readonly sandbox: string, file: string, readonly reason: string) {
    super('INTERNAL', `The record of sandbox "${sandbox}" (${file}) is damaged: ${reason}`, `Delete the sandbox with \`sandtray delete --force ${sandbox}\` and create it again.`);
  }
}

function notFound(name: string): SandtrayError {
  return new SandtrayError('NOT_FOUND', `Sandbox "${name}" does not exist`, 'See `sandtray list`, or create it with `sandtray create NAME --profile FILE`.');
}

/**
 * The JSON of a sandbox's record, read as readRecord (store.ts) reads it: NOT_FOUND when the name
 * is no sandbox's, or its folder could be steered by someone else; a DamagedRecordError when the
 * file is not JSON. Not checked against the record's schema: that is readRecord's.
 */
export function readRecordJson(name: string, paths?: Paths): unknown {
  checkName(name);
  const dirs = sandboxDirs(name, paths);
  // A record in a folder someone else can write would let them choose the sandbox's profiles.
  if (checkStateDir(dirs.data) === null) throw notFound(name);
  let text: string;
  try {
    text = readStateFile(dirs.record);
  } catch {
    throw notFound(name);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DamagedRecordError(name, dirs.record, `not JSON (${(err as Error).message})`);
  }
}
