// The window's only way out: named operations through the preload bridge. Types come from the
// contract; nothing of main, the engine or Node is loaded here.
import type { ErrorJson, Operation, Reply, Request, SandtrayBridge, SandtrayEvent } from '../main/ipc/contract.js';

declare global {
  interface Window {
    sandtray: SandtrayBridge;
  }
}

/** An engine error as the window sees it: code, message and what to do. */
export class ApiError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(e: ErrorJson) {
    super(e.message);
    this.code = e.code;
    this.hint = e.hint;
  }
}

/** Calls an operation; resolves with its reply or rejects with an ApiError. */
export async function call<K extends Operation>(op: K, request: Request<K>): Promise<Reply<K>> {
  const env = await window.sandtray.invoke(op, request);
  if (!env.ok) throw new ApiError(env.error);
  return env.value;
}

/** Subscribes to main's events. */
export function onEvent(listener: (e: SandtrayEvent) => void): () => void {
  return window.sandtray.onEvent(listener);
}
