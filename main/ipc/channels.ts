// The names of the operations the renderer may ask for, and their IPC channels (no zod here: the
// sandboxed preload bundles this file and must stay small).

/** Every operation the manager window can request; nothing else crosses the bridge. */
export const OPERATIONS = [
  'list',
  'info',
  'start',
  'stop',
  'restart',
  'delete',
  'create-from-profile',
  'list-profiles',
  'read-profile',
  'validate-profile-text',
  'save-profile',
  'log-read',
  'log-follow',
  'log-unfollow',
  'terminal-open',
  'terminal-input',
  'terminal-resize',
  'terminal-close',
  'open-system-terminal',
  'secret-reply',
  'file-pending',
  'file-accept',
  'file-dismiss',
  'host-check',
  'pick-vpn-file',
  'vpn-verify',
  'open-app',
  'preview-sandbox',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The invoke channel of each operation. */
export const CHANNELS = Object.fromEntries(OPERATIONS.map((op) => [op, `sandtray:${op}`])) as { readonly [K in Operation]: `sandtray:${K}` };

/** The one channel main uses to push events (state changes, terminal output, prompts) to the window. */
export const EVENT_CHANNEL = 'sandtray:event';

/** True for a string that names an operation. */
export function isOperation(op: unknown): op is Operation {
  return typeof op === 'string' && (OPERATIONS as readonly string[]).includes(op);
}
