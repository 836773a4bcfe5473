// What `run` uses, imported when it runs (commands.ts): the one-off launch and the stdio relay,
// none of the lifecycle of named sandboxes.
export { launchOnce } from '../lifecycle/run-once.js';
export { haveTerminal, relayChild, stdioRelays } from '../api/attach.js';
export { profileRef } from '../profile/resolve.js';
export { parseOverrides } from './overrides.js';
