// create: validate the layered profile and write the sandbox's record and private home.
import fs from 'node:fs';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { Revert } from '../core/revert.js';
import { checkProfileOnHost } from '../profile/check.js';
import { expandRecord } from '../profile/resolve.js';
import type { Layer } from '../profile/schema.js';
import { checkName, ensureSandtrayDirs, sandboxDirs, writeFileAtomic, type SandboxRecord } from '../runtime/store.js';
import { writeApplied } from '../runtime/applied.js';
import { readHostFacts } from '../host/facts.js';
import { leaseIds, releaseIds } from '../idmap/assign.js';
import { logEvent } from '../runtime/log.js';

export interface CreateOptions {
  profiles: string[];
  overrides?: Omit<Layer, 'apiVersion'> | null;
  ephemeral?: boolean;
  paths?: Paths;
}

/** Creates a stopped sandbox; nothing is left behind when it fails. */
export async function createSandbox(name: string, opts: CreateOptions): Promise<SandboxRecord> {
  checkName(name);
  const paths = opts.paths ?? sandtrayPaths();
  const dirs = sandboxDirs(name, paths);
  const record: SandboxRecord = {
    apiVersion: 'sandtray/v1',
    name,
    profiles: opts.profiles,
    overrides: opts.overrides && Object.keys(opts.overrides).length ? opts.overrides : null,
    createdAt: new Date().toISOString(),
    ...(opts.ephemeral ? { ephemeral: true } : {}),
  };
  // Validate everything before touching the disk.
  const expanded = expandRecord(record, paths);
  checkProfileOnHost(expanded.profile);

  // Every folder touched below belongs to us and no one else can write it (core/trust.ts).
  ensureSandtrayDirs(paths);
  const revert = new Revert();
  try {
    try {
      fs.mkdirSync(dirs.data, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new SandtrayError('ALREADY_EXISTS', `Sandbox "${name}" already exists`, `Pick another name, or remove it first with \`sandtray delete ${name}\`.`);
      }
      throw err;
    }
    revert.add('remove sandbox directory', () => fs.rmSync(dirs.data, { recursive: true, force: true }));
    // Isolated ids are leased now, under the lease file's lock, so concurrent creates never share.
    if (expanded.profile.idmap.mode === 'isolated') {
      const { taken } = await leaseIds(name, expanded.profile.idmap.size, readHostFacts(), paths);
      if (taken) revert.add('release id lease', () => releaseIds(name, paths));
    }
    fs.mkdirSync(dirs.home, { mode: 0o700 });
    fs.mkdirSync(dirs.etc, { mode: 0o700 });
    writeFileAtomic(dirs.record, JSON.stringify(record, null, 2) + '\n');
    // What the owner approved: a later start says which keys of these files changed since.
    writeApplied(dirs, expanded.layerFiles, 'create');
    revert.success();
  } catch (err) {
    await revert.run();
    throw err;
  }
  logEvent(dirs.log, `created from ${record.profiles.length ? record.profiles.join(', ') : 'the defaults'}`);
  return record;
}
