// What `run` uses, imported when it runs (commands.ts): the one-off launch and the stdio relay,
// none of the lifecycle of named sandboxes.
export { launchOnce, profileRef } from '../api/run.js';
export { haveTerminal, relayChild, stdioRelays } from '../api/attach.js';
export { parseOverrides } from './overrides.js';
