// Where each sandbox lives on disk: its record (data), runtime state and log, with atomic writes.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { checkStateDir, ensureStateDir, readStateFile, writeStateFile } from '../core/trust.js';
import { layerSchema, nameSchema, NAME_RE } from '../profile/schema.js';

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
  checkName(name);
  const dirs = sandboxDirs(name, paths);
  // A record in a folder someone else can write would let them choose the sandbox's profiles.
  if (checkStateDir(dirs.data) === null) throw new SandtrayError('NOT_FOUND', `Sandbox "${name}" does not exist`, 'See `sandtray list`, or create it with `sandtray create NAME --profile FILE`.');
  let text: string;
  try {
    text = readStateFile(dirs.record);
  } catch {
    throw new SandtrayError('NOT_FOUND', `Sandbox "${name}" does not exist`, 'See `sandtray list`, or create it with `sandtray create NAME --profile FILE`.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DamagedRecordError(name, dirs.record, `not JSON (${(err as Error).message})`);
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DamagedRecordError(name, dirs.record, issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid');
  }
  return parsed.data;
}

/** A sandbox whose record exists, in a trusted folder, but cannot be read as a record. */
export class DamagedRecordError extends SandtrayError {
  constructor(readonly sandbox: string, file: string, readonly reason: string) {
    super('INTERNAL', `The record of sandbox "${sandbox}" (${file}) is damaged: ${reason}`, `Delete the sandbox with \`sandtray delete --force ${sandbox}\` and create it again.`);
  }
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
