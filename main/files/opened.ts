// Files handed to the app (double-click, a second launch, the tray's import): inspected in main and
// kept behind a random token, so the window can act on a file without ever naming a path itself.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createSandbox, launchSandbox, listNames, PROFILE_EXT, SandtrayError, sandtrayPaths, type Paths } from '../../helpers/api/index.js';
import type { OpenedFile, VpnType } from '../ipc/contract.js';
import { validateProfileText } from '../profile/validate-text.js';
import { importVpnConfig, type VpnImportChoices } from './import-vpn.js';
import { inspectVpnText } from './vpn-config.js';

const MAX_FILE_BYTES = 256 * 1024;

/** The file kinds the app opens, by extension. */
export function fileKind(file: string): 'profile' | VpnType | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === PROFILE_EXT) return 'profile';
  if (ext === '.ovpn') return 'openvpn';
  if (ext === '.conf') return 'wireguard';
  return null;
}

/** A sandbox name derived from a file name that no sandbox uses yet. */
export function suggestName(file: string, taken: readonly string[]): string {
  const base = path.basename(file, path.extname(file)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56) || 'sandbox';
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

function readSmallFile(file: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new SandtrayError('NOT_FOUND', `${file} does not exist`, 'Check the path and open the file again.');
  }
  if (!st.isFile()) throw new SandtrayError('INVALID_ARGUMENT', `${file} is not a regular file`);
  if (st.size > MAX_FILE_BYTES) throw new SandtrayError('INVALID_ARGUMENT', `${file} is larger than ${MAX_FILE_BYTES} bytes`, 'Profiles and VPN configurations are small text files; check that this is the right file.');
  return fs.readFileSync(file, 'utf8');
}

/** Inspects one file: validation issues and a summary of what it gives a sandbox. */
export function inspectFile(file: string, tokenValue: string, paths: Paths = sandtrayPaths()): OpenedFile {
  const abs = path.resolve(file);
  const kind = fileKind(abs);
  if (!kind) throw new SandtrayError('INVALID_ARGUMENT', `${path.basename(abs)} is not a file Sandtray opens`, 'Open a .sandtray profile, an OpenVPN .ovpn or a WireGuard .conf file.');
  const text = readSmallFile(abs);
  const base = { token: tokenValue, file: path.basename(abs), path: abs, suggestedName: suggestName(abs, listNames(paths)) };
  if (kind === 'profile') {
    const v = validateProfileText(text, path.dirname(abs));
    return { kind, ...base, valid: v.valid, issues: v.issues, summary: v.summary };
  }
  // The engine's verdict, the one `sandtray vpn import` prints; files the configuration names are
  // read from its own folder only.
  const vpn = inspectVpnText(kind, text, path.dirname(abs));
  if (!vpn) {
    return { kind: 'wireguard', ...base, valid: false, supported: false, summary: null, verdict: null, issues: [{ path: '(file)', message: 'this .conf file is neither a WireGuard nor an OpenVPN configuration', line: null }] };
  }
  return { kind: vpn.kind, ...base, valid: vpn.issues.length === 0, supported: true, summary: vpn.summary, verdict: vpn.verdict, issues: vpn.issues };
}

interface Entry {
  opened: OpenedFile;
}

/** Files waiting for the user's decision, by token. */
export class OpenedFiles {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly paths: () => Paths = () => sandtrayPaths()) {}

  /** Inspects a file and keeps it; throws when the file cannot be read at all. */
  add(file: string): OpenedFile {
    const t = randomBytes(12).toString('base64url');
    const opened = inspectFile(file, t, this.paths());
    this.entries.set(t, { opened });
    return opened;
  }

  pending(): OpenedFile[] {
    return [...this.entries.values()].map((e) => e.opened);
  }

  dismiss(tokenValue: string): void {
    this.entries.delete(tokenValue);
  }

  private get(tokenValue: string): OpenedFile {
    const e = this.entries.get(tokenValue);
    if (!e) throw new SandtrayError('NOT_FOUND', 'That file is no longer open', 'Open it again.');
    return e.opened;
  }

  /**
   * Acts on a file: a profile becomes a sandbox (started if asked), a VPN configuration is imported.
   * The file is read again here: what is created is what is on disk now, checked again.
   */
  async accept(tokenValue: string, name: string, start: boolean, vpn: VpnImportChoices = {}): Promise<{ name: string; message: string }> {
    const opened = this.get(tokenValue);
    if (opened.kind === 'profile') {
      if (!start) {
        await createSandbox(name, { profiles: [opened.path], paths: this.paths() });
        this.entries.delete(tokenValue);
        return { name, message: `Created ${name}` };
      }
      // The engine's launch: a start that fails removes the sandbox it was created for.
      const rt = await launchSandbox(name, { profiles: [opened.path] }, { paths: this.paths(), holdSignals: false });
      this.entries.delete(tokenValue);
      return { name, message: `Created and started ${name} (pid ${rt.init?.pid ?? '?'})` };
    }
    const message = await importVpnConfig(opened.kind, opened.path, name, start, this.paths(), vpn);
    this.entries.delete(tokenValue);
    return { name, message };
  }
}
