// The main-side implementation of every operation in the contract, on the in-process engine.
// Electron's IPC adapter and the test bridge both serve these same handlers.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { createSandbox, deleteSandbox, doctor, expandRecord, verifyText, verifyVpn, launchSandbox, listProfiles, profileFile, restartSandbox, runningSandbox, sandboxInfo, saveProfile, SandtrayError, SHIPPED_PROFILES, startSandbox, stopSandbox } from '../../helpers/api/index.js';
import type { Handlers } from '../ipc/dispatch.js';
import { infoSchema, type SandboxSummary } from '../ipc/contract.js';
import type { OpenedFiles } from '../files/opened.js';
import type { LogFollowers } from '../logs/follow.js';
import { validateProfileText } from '../profile/validate-text.js';
import type { SecretBroker } from '../secrets/broker.js';
import { appVersion, cliArgv } from '../system/cli.js';
import type { TerminalSessions } from '../terminal/sessions.js';
import { openApp } from './apps.js';
import { summarizeProfile } from '../profile/summary.js';
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
      // The engine's restart, as the CLI's: nothing is stopped unless the start can succeed.
      await after(restartSandbox(name, { force: force ?? false, ...(timeoutSec === undefined ? {} : { timeoutSec }), refuseProfileChanges: !acceptProfileChanges }));
      return summaryOf(name);
    },
    delete: async ({ name, force }) => {
      await after(deleteSandbox(name, { force: force ?? false }));
      return { ok: true as const };
    },
    'create-from-profile': async ({ name, profiles, start }) => {
      // As the CLI's launch: a start that fails removes the sandbox it was created for.
      await after<unknown>(start ? launchSandbox(name, { profiles }, { holdSignals: false }) : createSandbox(name, { profiles }));
      return summaryOf(name);
    },
    'list-profiles': () => listProfiles().map((p) => ({ ...p, description: descriptionOf(p.file) })),
    'read-profile': ({ name }) => {
      const file = profileFile(name);
      return { name, text: fs.readFileSync(file, 'utf8'), shipped: file.startsWith(SHIPPED_PROFILES + path.sep), file };
    },
    'validate-profile-text': ({ text }) => validateProfileText(text),
    'save-profile': ({ name, text }) => saveProfile(name, text),
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
