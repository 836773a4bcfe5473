// Electron's side of the contract: one ipcMain handler per named operation, all through the one
// dispatcher, with the sender frame checked on every call.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CHANNELS, EVENT_CHANNEL, OPERATIONS, eventSchema, type SandtrayEvent } from './contract.js';
import { createDispatcher, frameSenderPolicy, type Handlers, type SenderInfo, type TrustedSenders } from './dispatch.js';

/** What Electron tells us about the frame behind an invoke. */
export function senderInfo(event: IpcMainInvokeEvent): SenderInfo {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url ?? '',
    // A frame with no parent is the top-level document.
    isMainFrame: Boolean(frame) && frame?.parent === null && frame === event.sender.mainFrame,
  };
}

/** Registers every operation; returns a function that removes them again. */
export function registerIpc(handlers: Handlers, trusted: TrustedSenders): () => void {
  const dispatch = createDispatcher(handlers, frameSenderPolicy(trusted));
  for (const op of OPERATIONS) {
    ipcMain.handle(CHANNELS[op], (event, payload: unknown) => dispatch(op, payload, senderInfo(event)));
  }
  return () => {
    for (const op of OPERATIONS) ipcMain.removeHandler(CHANNELS[op]);
  };
}

/** Sends an event to a window, after checking it against the contract. */
export function sendEvent(target: WebContents, event: SandtrayEvent): void {
  if (target.isDestroyed()) return;
  target.send(EVENT_CHANNEL, eventSchema.parse(event));
}
