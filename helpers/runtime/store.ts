// Where each sandbox lives on disk: its record (data), runtime state and log, with atomic writes.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { checkStateDir, ensureStateDir, readStateFile, writeStateFile } from '../core/trust.js';
import { layerSchema, nameSchema, NAME_RE } from '../profile/schema.js';
import { DamagedRecordError, readRecordJson, sandboxDirs, type SandboxDirs } from './dirs.js';

// The folders and the name check live in dirs.ts, which does not build the profile schema.
export { checkName, DamagedRecordError, readRecordJson, sandboxDirs, type SandboxDirs } from './dirs.js';

export const recordSchema = z.strictObject({
  apiVersion: z.literal('sandtray/v1'),
  name: nameSchema,
  /** Profile names or absolute file paths, applied in order. */
  profiles: z.array(z.string()),
  overrides: layerSchema.partial().nullable(),
  createdAt: z.string(),
  /** Thrown away after its one command (`run`). */
  ephemeral: z.boolean().optional(),
});
export type SandboxRecord = z.infer<typeof recordSchema>;

/**
 * Creates a private directory (0700) owned by us, and checks it and every folder above it
 * (core/trust.ts): refuses one planted by someone else, a symbolic link, or a path another user can
 * write. Returns the path with links resolved.
 */
export function ensurePrivateDir(dir: string): string {
  return ensureStateDir(dir);
}

/**
 * Creates and checks the folders every lifecycle operation keeps state in: runtime, data (and its
 * sandboxes), state (and its logs), and checks config. Called before a lifecycle operation touches
 * any of them.
 */
export function ensureSandtrayDirs(paths: Paths): void {
  ensureStateDir(paths.runtime);
  ensureStateDir(path.join(paths.data, 'sandboxes'));
  ensureStateDir(path.join(paths.state, 'logs'));
  // Profiles and imported VPN files live there; checked when it exists, made only when written to.
  checkStateDir(paths.config);
}

/** Writes a file atomically in a checked folder: new temp file (never through a link), fsync unless durable is false, rename. */
export function writeFileAtomic(file: string, data: string, mode = 0o600, opts: { durable?: boolean } = {}): void {
  writeStateFile(file, data, mode, opts);
}

/** Reads a sandbox record; NOT_FOUND when the sandbox does not exist. */
export function readRecord(name: string, paths?: Paths): SandboxRecord {
  const json = readRecordJson(name, paths);
  const dirs = sandboxDirs(name, paths);
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DamagedRecordError(name, dirs.record, issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid');
  }
  return parsed.data;
}

/** Names of all sandboxes, sorted. */
export function listNames(paths: Paths = sandtrayPaths()): string[] {
  const dir = path.join(paths.data, 'sandboxes');
  if (checkStateDir(dir) === null) return [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return entries.filter((n) => NAME_RE.test(n) && fs.existsSync(path.join(dir, n, 'sandbox.json'))).sort();
}

/** Where a sandbox's D-Bus proxy listens (dbus: filtered; network/bus-proxy.ts). */
export function busSocketPath(dirs: SandboxDirs): string {
  return path.join(dirs.runtime, 'bus');
}
