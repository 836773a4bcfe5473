// The typed contract between main and the manager window: a request and a reply schema per
// operation, the event schema, and the reply envelope. Main parses every payload with these; the
// renderer imports only the types (`import type`).
import { z } from 'zod';
import { nameSchema } from '../../helpers/api/profiles.js';
import { vpnTypes } from '../../helpers/api/vpn.js';
import type { Operation } from './channels.js';

export { CHANNELS, EVENT_CHANNEL, OPERATIONS, isOperation, type Operation } from './channels.js';

/** The VPN types, the engine's one list (helpers/profile/schema.ts); the window takes the type. */
export const VPN_TYPES = vpnTypes;
export type VpnType = (typeof VPN_TYPES)[number];

const MAX_PROFILE_TEXT = 256 * 1024;
const MAX_TERMINAL_INPUT = 64 * 1024;

const empty = z.strictObject({});
const byName = z.strictObject({ name: nameSchema });
const token = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be an id handed out by Sandtray');

export const stateSchema = z.enum(['STOPPED', 'STARTING', 'RUNNING', 'STOPPING', 'ABORTING']);

/** Tunnel status of a VPN sandbox; absent for other sandboxes and until the engine reports it. */
export const vpnStatusSchema = z.object({
  type: z.enum(VPN_TYPES).optional(),
  state: z.enum(['up', 'connecting', 'down']),
  address: z.string().nullable().optional(),
  detail: z.string().nullable().optional(),
});

export const summarySchema = z.object({
  name: z.string(),
  state: stateSchema,
  pid: z.number().int().nullable(),
  network: z.string(),
  profiles: z.array(z.string()),
  startedAt: z.string().nullable(),
  problem: z.string().nullable(),
  vpn: vpnStatusSchema.nullable().optional(),
  /** The profile's apps (`apps:`), what the tray and the window offer to open in this sandbox. */
  apps: z.array(z.object({ name: z.string(), title: z.string() })).default([]),
});

const idLine = z.object({ inside: z.number(), outside: z.number(), count: z.number() });

/** One risk of a profile, as the engine computes it (helpers/profile/risks.ts). */
export const riskSchema = z.object({
  level: z.enum(['high', 'medium', 'info']),
  key: z.string(),
  message: z.string(),
  resolved: z.string().optional(),
});

/** The expanded profile; unknown keys pass so new engine settings still show up in the details. */
export const expandedProfileSchema = z.looseObject({
  description: z.string(),
  hostname: z.string(),
  command: z.array(z.string()).nullable(),
  env: z.record(z.string(), z.string()),
  workdir: z.string().nullable(),
  home: z.string(),
  shell: z.string().nullable(),
  mounts: z.array(z.object({ source: z.string(), target: z.string(), readOnly: z.boolean(), optional: z.boolean() })),
  network: z.looseObject({ mode: z.string(), allowHostLoopback: z.boolean().optional(), ports: z.array(z.object({ host: z.number(), sandbox: z.number(), proto: z.string(), address: z.string() })).optional() }),
  idmap: z.looseObject({ mode: z.string(), size: z.number() }),
  nesting: z.boolean(),
});

export const infoSchema = summarySchema.extend({
  createdAt: z.string(),
  uptimeSec: z.number().nullable(),
  profile: expandedProfileSchema.nullable(),
  origins: z.record(z.string(), z.string()),
  namespaces: z.record(z.string(), z.number()),
  idmap: z.object({ uid: z.array(idLine), gid: z.array(idLine) }).nullable(),
  idmapNote: z.string().nullable(),
  mounts: z.array(z.object({ op: z.string(), source: z.string().optional(), target: z.string(), resolved: z.string().optional() })),
  /** The expanded profile's risks, the list `sandtray info` prints. */
  risks: z.array(riskSchema).default([]),
  pids: z.array(z.object({ host: z.number(), inside: z.number().nullable(), uid: z.number().nullable(), command: z.string() })),
  isolated: z.object({ network: z.boolean() }),
});

/** One problem in profile text, with the line it points at when the key exists in the text. */
export const profileIssueSchema = z.object({ path: z.string(), message: z.string(), line: z.number().int().nullable() });

/** What a profile lets a sandbox see, in the words the file-open sheet uses. */
export const profileSummarySchema = z.object({
  description: z.string(),
  hostname: z.string(),
  network: z.object({ mode: z.string(), isolated: z.boolean(), allowHostLoopback: z.boolean() }),
  mounts: z.array(z.object({ source: z.string(), target: z.string(), readOnly: z.boolean(), optional: z.boolean(), exists: z.boolean(), resolved: z.string().optional() })),
  home: z.string(),
  nesting: z.boolean(),
  idmap: z.object({ mode: z.string(), size: z.number() }),
  command: z.array(z.string()).nullable(),
  env: z.array(z.string()),
  /** The engine's risks of the profile; `warnings` holds them as sentences, then start problems. */
  risks: z.array(riskSchema),
  warnings: z.array(z.string()),
});

export const vpnFileSummarySchema = z.object({
  remotes: z.array(z.object({ host: z.string(), port: z.string().nullable(), proto: z.string().nullable() })),
  needsCredentials: z.boolean(),
  hasInlineKeys: z.boolean(),
  addresses: z.array(z.string()),
  dns: z.array(z.string()),
  allowedIps: z.array(z.string()),
});

/** The engine's verdict on a VPN file (helpers/vpn/verdict.ts): what it keeps, rewrites, drops and refuses. */
const verdictItemSchema = z.object({ line: z.number().nullable(), option: z.string(), reason: z.string() });
export const vpnVerdictSchema = z.object({
  kept: z.array(z.object({ line: z.number(), option: z.string() })),
  rewritten: z.array(verdictItemSchema),
  dropped: z.array(verdictItemSchema),
  refused: z.array(verdictItemSchema),
  filesRead: z.array(z.string()),
  needs: z.object({
    username: z.boolean(),
    password: z.boolean(),
    challenge: z.object({ text: z.string(), echo: z.boolean() }).optional(),
    keyPassphrase: z.boolean().optional(),
    privateKey: z.boolean().optional(),
  }),
});

export const secretStoreSchema = z.enum(['keyring', 'file']);

/** The report of `sandtray vpn verify` (helpers/vpn/verify.ts), with the text to paste into a bug report. */
export const verifyReportSchema = z.object({
  name: z.string(),
  type: z.enum(VPN_TYPES),
  tunnel: z.string(),
  device: z.string(),
  time: z.string(),
  checks: z.array(z.object({ check: z.string(), ok: z.boolean(), detail: z.string() })),
  verdict: z.enum(['no leak found', 'leak found']),
  text: z.string(),
});

const openedBase = { token, file: z.string(), path: z.string(), suggestedName: z.string(), issues: z.array(profileIssueSchema) };
/** A file handed to the app (double-click, second launch, tray import), waiting for the user. */
export const openedFileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('profile'), ...openedBase, valid: z.boolean(), summary: profileSummarySchema.nullable() }),
  z.object({ kind: z.enum(VPN_TYPES), ...openedBase, valid: z.boolean(), supported: z.boolean(), summary: vpnFileSummarySchema.nullable(), verdict: vpnVerdictSchema.nullable() }),
]);

export const profileEntrySchema = z.object({ name: z.string(), file: z.string(), shipped: z.boolean(), description: z.string() });

export const checkSchema = z.object({ id: z.string(), ok: z.boolean(), level: z.enum(['ok', 'warn', 'error']), detail: z.string(), fix: z.string().optional() });

const stopRequest = z.strictObject({ name: nameSchema, force: z.boolean().optional(), timeoutSec: z.number().min(0).max(600).optional() });
/** Without acceptProfileChanges, a start whose profile files changed since the last start fails with PROFILE_CHANGED (the window asks, then sends it). */
const acceptProfileChanges = z.boolean().optional();
const startRequest = z.strictObject({ name: nameSchema, acceptProfileChanges });
const restartRequest = z.strictObject({ ...stopRequest.shape, acceptProfileChanges });
const ok = z.strictObject({ ok: z.literal(true) });

/** Request and reply schema of every operation. */
export const CONTRACT = {
  list: { request: empty, reply: z.array(summarySchema) },
  info: { request: byName, reply: infoSchema },
  start: { request: startRequest, reply: summarySchema },
  stop: { request: stopRequest, reply: z.object({ how: z.enum(['clean', 'killed']) }) },
  restart: { request: restartRequest, reply: summarySchema },
  delete: { request: z.strictObject({ name: nameSchema, force: z.boolean().optional() }), reply: ok },
  'create-from-profile': {
    request: z.strictObject({ name: nameSchema, profiles: z.array(nameSchema).max(16), start: z.boolean() }),
    reply: summarySchema,
  },
  'list-profiles': { request: empty, reply: z.array(profileEntrySchema) },
  'read-profile': { request: byName, reply: z.object({ name: z.string(), text: z.string(), shipped: z.boolean(), file: z.string() }) },
  'validate-profile-text': {
    request: z.strictObject({ text: z.string().max(MAX_PROFILE_TEXT) }),
    reply: z.object({ valid: z.boolean(), issues: z.array(profileIssueSchema), summary: profileSummarySchema.nullable() }),
  },
  'save-profile': {
    request: z.strictObject({ name: nameSchema, text: z.string().max(MAX_PROFILE_TEXT) }),
    reply: z.object({ name: z.string(), file: z.string() }),
  },
  'log-read': {
    request: z.strictObject({ name: nameSchema, maxBytes: z.number().int().min(1).max(4 * 1024 * 1024).optional() }),
    reply: z.object({ text: z.string(), truncated: z.boolean() }),
  },
  'log-follow': { request: byName, reply: z.object({ followId: token, text: z.string(), truncated: z.boolean() }) },
  'log-unfollow': { request: z.strictObject({ followId: token }), reply: ok },
  'terminal-open': {
    request: z.strictObject({ name: nameSchema, cols: z.number().int().min(2).max(1000), rows: z.number().int().min(1).max(500) }),
    reply: z.object({ id: token, title: z.string() }),
  },
  'terminal-input': { request: z.strictObject({ id: token, data: z.string().max(MAX_TERMINAL_INPUT) }), reply: ok },
  'terminal-resize': {
    request: z.strictObject({ id: token, cols: z.number().int().min(2).max(1000), rows: z.number().int().min(1).max(500) }),
    reply: ok,
  },
  'terminal-close': { request: z.strictObject({ id: token }), reply: ok },
  'open-system-terminal': { request: byName, reply: z.object({ terminal: z.string() }) },
  'secret-reply': {
    request: z.strictObject({ promptId: token, secret: z.string().max(4096).nullable(), remember: z.boolean(), password: z.string().min(1).max(4096).optional() }),
    reply: ok,
  },
  'file-pending': { request: empty, reply: z.array(openedFileSchema) },
  'file-accept': {
    request: z.strictObject({
      token,
      name: nameSchema,
      start: z.boolean(),
      /** Where the VPN's secrets go: the Secret Service, or 0600 files (the user's consent, given in the sheet). */
      store: secretStoreSchema.optional(),
      /** The user name and password the sheet asked for (OpenVPN auth-user-pass), stored with the import. */
      credentials: z.strictObject({ username: z.string().min(1).max(4096), password: z.string().min(1).max(4096) }).optional(),
    }),
    reply: z.object({ name: z.string(), message: z.string() }),
  },
  'file-dismiss': { request: z.strictObject({ token }), reply: ok },
  'host-check': { request: empty, reply: z.object({ checks: z.array(checkSchema) }) },
  /** Main's file chooser for a VPN configuration; null when the user cancelled it. */
  'pick-vpn-file': { request: empty, reply: openedFileSchema.nullable() },
  /** `sandtray vpn verify`: the leak check from inside a running VPN sandbox, and its verdict. */
  'vpn-verify': { request: byName, reply: verifyReportSchema },
  /** What a sandbox made from these profiles (in this order) would see, before it is created. */
  'preview-sandbox': {
    request: z.strictObject({ name: nameSchema, profiles: z.array(nameSchema).max(16) }),
    reply: profileSummarySchema,
  },
  /** `sandtray open NAME APP`: starts the sandbox if needed, then the app, detached. */
  'open-app': { request: z.strictObject({ name: nameSchema, app: nameSchema }), reply: z.object({ message: z.string() }) },
} as const satisfies Record<Operation, { request: z.ZodType; reply: z.ZodType }>;

export type Request<K extends Operation> = z.input<(typeof CONTRACT)[K]['request']>;
export type Reply<K extends Operation> = z.output<(typeof CONTRACT)[K]['reply']>;
/** What a handler receives: the request after parsing. */
export type ParsedRequest<K extends Operation> = z.output<(typeof CONTRACT)[K]['request']>;

export type SandboxSummary = z.output<typeof summarySchema>;
export type SandboxInfo = z.output<typeof infoSchema>;
export type VpnStatus = z.output<typeof vpnStatusSchema>;
export type SandboxState = z.output<typeof stateSchema>;
export type ProfileIssue = z.output<typeof profileIssueSchema>;
export type ProfileRisk = z.output<typeof riskSchema>;
export type ProfileSummary = z.output<typeof profileSummarySchema>;
export type VpnFileSummary = z.output<typeof vpnFileSummarySchema>;
export type VpnVerdictView = z.output<typeof vpnVerdictSchema>;
export type OpenedFile = z.output<typeof openedFileSchema>;
export type ProfileEntry = z.output<typeof profileEntrySchema>;
export type HostCheck = z.output<typeof checkSchema>;
export type VerifyReportView = z.output<typeof verifyReportSchema>;
export type SecretStoreChoice = z.output<typeof secretStoreSchema>;

/** Views the window can be asked to show (from the tray or a file hand-off). */
export const viewSchema = z.enum(['overview', 'logs', 'terminal', 'new', 'profiles', 'import', 'leaks']);

/** Everything main pushes to the window, on EVENT_CHANNEL. */
export const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sandboxes'), sandboxes: z.array(summarySchema) }),
  z.object({ type: z.literal('state'), name: z.string(), state: z.union([stateSchema, z.literal('DELETED')]), previous: z.union([stateSchema, z.literal('DELETED')]).nullable() }),
  z.object({ type: z.literal('terminal-data'), id: token, data: z.string() }),
  z.object({ type: z.literal('terminal-exit'), id: token, exitCode: z.number().int().nullable() }),
  z.object({ type: z.literal('log-data'), followId: token, text: z.string() }),
  /** `withPassword`: a user name prompt that asks for the password in the same dialog. */
  z.object({ type: z.literal('secret-prompt'), promptId: token, sandbox: z.string(), label: z.string(), detail: z.string().nullable(), canRemember: z.boolean(), oneTime: z.boolean().optional(), echo: z.boolean().optional(), withPassword: z.boolean().optional() }),
  z.object({ type: z.literal('secret-cancel'), promptId: token }),
  z.object({ type: z.literal('file-opened'), file: openedFileSchema }),
  z.object({ type: z.literal('navigate'), view: viewSchema, name: z.string().nullable() }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'warn', 'error']), message: z.string(), hint: z.string().nullable() }),
]);
export type SandtrayEvent = z.output<typeof eventSchema>;
export type View = z.output<typeof viewSchema>;

/** Errors as they cross the bridge: the engine's code, message and hint. */
export const errorJsonSchema = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });
export type ErrorJson = z.output<typeof errorJsonSchema>;

/** Every reply travels in this envelope, so codes and hints survive serialization. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorJson };

/** The API the preload exposes as `window.sandtray`. */
export interface SandtrayBridge {
  invoke<K extends Operation>(op: K, request: Request<K>): Promise<Envelope<Reply<K>>>;
  /** Subscribes to main's events; returns the unsubscribe function. */
  onEvent(listener: (event: SandtrayEvent) => void): () => void;
}
