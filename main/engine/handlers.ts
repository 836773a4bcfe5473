// The main-side implementation of every operation in the contract, on the in-process engine.
// Electron's IPC adapter and the test bridge both serve these same handlers.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SandtrayError } from '../../helpers/core/errors.js';
import { sandtrayPaths } from '../../helpers/core/paths.js';
import { runningSandbox } from '../../helpers/attach/attach.js';
import { doctor } from '../../helpers/host/doctor.js';
import { sandboxInfo } from '../../helpers/inspect/info.js';
import { createSandbox } from '../../helpers/lifecycle/create.js';
import { deleteSandbox } from '../../helpers/lifecycle/delete.js';
import { planSandbox, startSandbox } from '../../helpers/lifecycle/start.js';
import { stopSandbox } from '../../helpers/lifecycle/stop.js';
import { pendingProfileChanges } from '../../helpers/profile/applied.js';
import { listProfiles, profileFile, SHIPPED_PROFILES } from '../../helpers/profile/resolve.js';
import { ensurePrivateDir, writeFileAtomic } from '../../helpers/runtime/store.js';
import type { Handlers } from '../ipc/dispatch.js';
import { infoSchema, type SandboxSummary } from '../ipc/contract.js';
import type { OpenedFiles } from '../files/opened.js';
import type { LogFollowers } from '../logs/follow.js';
import { userProfilesDir, validateProfileText } from '../profile/validate-text.js';
import type { SecretBroker } from '../secrets/broker.js';
import { appVersion, cliArgv } from '../system/cli.js';
import type { TerminalSessions } from '../terminal/sessions.js';
import { verifyText, verifyVpn } from '../../helpers/vpn/verify.js';
import { openApp } from './apps.js';
import { relativeSourceIssues } from '../profile/saved-copy.js';
import { summarizeProfile } from '../profile/summary.js';
import { expandRecord } from '../../helpers/profile/resolve.js';
import { readSummaries } from './feed.js';
import { withVpnStatus } from './vpn-status.js';

export interface HandlerDeps {
  terminals: TerminalSessions;
  logs: LogFollowers;
  secrets: SecretBroker;
  files: OpenedFiles;
  /** Re-reads engine state after an action, so the tray and window update without waiting for events. */
  refresh(): void;
  /** Opens argv in the user's terminal emulator; returns which one. */
  openSystemTerminal(argv: string[]): string;
  /** The desktop's file chooser for a VPN configuration; null when cancelled. */
  pickVpnFile?(): Promise<string | null>;
}

function summaryOf(name: string): SandboxSummary {
  const s = readSummaries().find((x) => x.name === name);
  if (!s) throw new SandtrayError('NOT_FOUND', `Sandbox "${name}" does not exist`);
  return s;
}

function descriptionOf(file: string): string {
  try {
    const v = YAML.parse(fs.readFileSync(file, 'utf8')) as { description?: unknown } | null;
    return typeof v?.description === 'string' ? v.description : '';
  } catch {
    return '';
  }
}

/** The editor's check: the engine's, plus what only a copy in the profiles folder gets wrong. */
function validateForProfilesFolder(text: string): ReturnType<typeof validateProfileText> {
  const dir = userProfilesDir(sandtrayPaths().config);
  const v = validateProfileText(text, dir);
  const extra = relativeSourceIssues(text, dir);
  return extra.length ? { ...v, valid: false, issues: [...v.issues, ...extra] } : v;
}

/** Builds the handler table. */
export function createHandlers(deps: HandlerDeps): Handlers {
  const after = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } finally {
      deps.refresh();
    }
  };
  return {
    list: () => readSummaries(),
    info: ({ name }) => {
      const info = infoSchema.parse(sandboxInfo(name));
      return { ...info, vpn: withVpnStatus(info).vpn ?? null };
    },
    // A profile file that changed since the last start is applied only once the owner accepted it
    // (the window asks on PROFILE_CHANGED, then sends acceptProfileChanges).
    start: async ({ name, acceptProfileChanges }) => {
      await after(startSandbox(name, undefined, { refuseProfileChanges: !acceptProfileChanges }));
      return summaryOf(name);
    },
    stop: async ({ name, force, timeoutSec }) => ({ how: await after(stopSandbox(name, { force: force ?? false, ...(timeoutSec === undefined ? {} : { timeoutSec }) })) }),
    restart: async ({ name, force, timeoutSec, acceptProfileChanges }) => {
      // Asked before stopping: a refused start must not leave the sandbox stopped.
      const changed = acceptProfileChanges ? [] : pendingProfileChanges(name);
      if (changed.length) throw new SandtrayError('PROFILE_CHANGED', changed.map((l) => l.replace(/^warning: /, '')).join('\n'), 'Review the profile, then restart again to apply it.');
      // As the CLI's restart: the start must be able to succeed before anything is stopped.
      await planSandbox(name);
      await stopSandbox(name, { force: force ?? false, ...(timeoutSec === undefined ? {} : { timeoutSec }) }).catch((err: unknown) => {
        if (!(err instanceof SandtrayError && err.code === 'WRONG_STATE')) throw err;
      });
      await after(startSandbox(name, undefined, { refuseProfileChanges: !acceptProfileChanges }));
      return summaryOf(name);
    },
    delete: async ({ name, force }) => {
      await after(deleteSandbox(name, { force: force ?? false }));
      return { ok: true as const };
    },
    'create-from-profile': async ({ name, profiles, start }) => {
      await after(createSandbox(name, { profiles }));
      if (start) await after(startSandbox(name));
      return summaryOf(name);
    },
    'list-profiles': () => listProfiles().map((p) => ({ ...p, description: descriptionOf(p.file) })),
    'read-profile': ({ name }) => {
      const file = profileFile(name);
      return { name, text: fs.readFileSync(file, 'utf8'), shipped: file.startsWith(SHIPPED_PROFILES + path.sep), file };
    },
    'validate-profile-text': ({ text }) => validateForProfilesFolder(text),
    'save-profile': ({ name, text }) => {
      const dir = userProfilesDir(sandtrayPaths().config);
      // Examples are read-only templates: a copy under the same name would replace one for good.
      if (fs.existsSync(path.join(SHIPPED_PROFILES, `${name}.sandtray`))) {
        throw new SandtrayError('ALREADY_EXISTS', `"${name}" is an example that ships with Sandtray`, 'Examples are read-only templates: save your copy under another name.');
      }
      const v = validateForProfilesFolder(text);
      if (!v.valid) {
        throw new SandtrayError('INVALID_PROFILE', `Not saved: the profile has ${v.issues.length} problem${v.issues.length === 1 ? '' : 's'}:\n  ${v.issues.map((i) => `${i.path}: ${i.message}`).join('\n  ')}`, 'Fix the marked lines first.');
      }
      ensurePrivateDir(sandtrayPaths().config);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${name}.sandtray`);
      writeFileAtomic(file, text.endsWith('\n') ? text : `${text}\n`);
      return { name, file };
    },
    'log-read': ({ name, maxBytes }) => deps.logs.read(name, maxBytes),
    'log-follow': ({ name }, ctx) => deps.logs.follow(name, ctx.senderId),
    'log-unfollow': ({ followId }, ctx) => {
      deps.logs.unfollow(followId, ctx.senderId);
      return { ok: true as const };
    },
    'terminal-open': ({ name, cols, rows }, ctx) => deps.terminals.open(name, cols, rows, ctx.senderId),
    'terminal-input': ({ id, data }, ctx) => {
      deps.terminals.input(id, data, ctx.senderId);
      return { ok: true as const };
    },
    'terminal-resize': ({ id, cols, rows }, ctx) => {
      deps.terminals.resize(id, cols, rows, ctx.senderId);
      return { ok: true as const };
    },
    'terminal-close': ({ id }, ctx) => {
      deps.terminals.close(id, ctx.senderId);
      return { ok: true as const };
    },
    'open-system-terminal': ({ name }) => {
      runningSandbox(name);
      return { terminal: deps.openSystemTerminal(cliArgv(['shell', name])) };
    },
    'secret-reply': async ({ promptId, secret, remember, password }) => {
      await deps.secrets.reply(promptId, secret, remember, password);
      return { ok: true as const };
    },
    'file-pending': () => deps.files.pending(),
    'file-accept': ({ token, name, start, store, credentials }) => after(deps.files.accept(token, name, start, { ...(store ? { store } : {}), ...(credentials ? { credentials } : {}) })),
    'pick-vpn-file': async () => {
      const file = deps.pickVpnFile ? await deps.pickVpnFile() : null;
      return file === null ? null : deps.files.add(file);
    },
    'vpn-verify': async ({ name }) => {
      const r = await verifyVpn(name);
      return { ...r, text: verifyText(r, appVersion()) };
    },
    'open-app': ({ name, app }) => after(openApp(name, app)),
    'preview-sandbox': ({ name, profiles }) => summarizeProfile(expandRecord({ name, profiles, overrides: null }).profile),
    'file-dismiss': ({ token }) => {
      deps.files.dismiss(token);
      return { ok: true as const };
    },
    'host-check': async () => ({ checks: await doctor() }),
  };
}
