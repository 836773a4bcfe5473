// Entering a running sandbox: shell, exec, the desktop's terminals.
export { attachSpec, runningSandbox, type AttachSpec } from '../attach/attach.js';
export { haveTerminal, relayChild, runAttached, stdioRelays } from '../attach/run-attached.js';
export { shQuote } from '../attach/quote.js';
