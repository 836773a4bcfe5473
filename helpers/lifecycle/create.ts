// create: validate the layered profile and write the sandbox's record and private home.
import fs from 'node:fs';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { Revert } from '../core/revert.js';
import { checkProfileOnHost } from './host-checks.js';
import { expandRecord, profileFile, SHIPPED_PROFILES } from '../profile/resolve.js';
import { parseLayer } from '../profile/load.js';
import path from 'node:path';
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
  /** The folder relative mount sources of a shipped example are relative to (default: the current folder). */
  cwd?: string;
}

/**
 * The mounts of the shipped examples among refs whose sources are relative, resolved against cwd.
 * An example lives in the installed package: relative to its own file, `source: .` would bind the
 * package itself (writable, in `dev`). The user means the folder they run it from, so these become
 * sandbox overrides fixed at create, unless the caller's overrides already mount that target.
 */
export function exampleMounts(refs: readonly string[], cwd: string, paths: Paths, taken: ReadonlySet<string>): NonNullable<Layer['mounts']> {
  const out: NonNullable<Layer['mounts']> = [];
  for (const ref of refs) {
    let file: string;
    try {
      file = profileFile(ref, paths);
    } catch {
      continue; // expandRecord reports it
    }
    if (path.dirname(file) !== SHIPPED_PROFILES) continue;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const here = parseLayer(text, file, cwd);
    const there = parseLayer(text, file, path.dirname(file));
    (here.mounts ?? []).forEach((m, i) => {
      if (m.source !== there.mounts?.[i]?.source && !taken.has(m.target)) out.push(m);
    });
  }
  return out;
}

/** Creates a stopped sandbox; nothing is left behind when it fails. */
export async function createSandbox(name: string, opts: CreateOptions): Promise<SandboxRecord> {
  checkName(name);
  const paths = opts.paths ?? sandtrayPaths();
  const dirs = sandboxDirs(name, paths);
  let overrides = opts.overrides ?? null;
  const fromExamples = exampleMounts(opts.profiles, opts.cwd ?? process.cwd(), paths, new Set((overrides?.mounts ?? []).map((m) => m.target)));
  if (fromExamples.length) overrides = { ...overrides, mounts: [...fromExamples, ...(overrides?.mounts ?? [])] };
  const record: SandboxRecord = {
    apiVersion: 'sandtray/v1',
    name,
    profiles: opts.profiles,
    overrides: overrides && Object.keys(overrides).length ? overrides : null,
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
