// run: one command in a one-off sandbox (lifecycle/run-once.ts), with what the CLI needs to relay
// it; a module of its own so that `run` loads neither the lifecycle of named sandboxes nor attach.
export { collectRuns, launchOnce, type RunOnceOptions, type RunningOnce } from '../lifecycle/run-once.js';
export { profileRef } from '../profile/resolve.js';
