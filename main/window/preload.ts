// The sandboxed preload: exposes the named operations and the event stream as window.sandtray,
// nothing more (no ipcRenderer, no arbitrary channels). Bundled to dist/main/preload.cjs.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNELS, EVENT_CHANNEL, isOperation } from '../ipc/channels.js';
import type { SandtrayBridge, SandtrayEvent } from '../ipc/contract.js';

const bridge: SandtrayBridge = {
  invoke(op, request) {
    if (!isOperation(op)) return Promise.resolve({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown operation' } });
    return ipcRenderer.invoke(CHANNELS[op], request);
  },
  onEvent(listener) {
    const handler = (_e: IpcRendererEvent, event: SandtrayEvent): void => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('sandtray', bridge);
