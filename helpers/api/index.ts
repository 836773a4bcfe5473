// The engine's one service API, for the CLI (helpers/cli/) and the desktop (main/): nothing else
// imports the engine's folders (test/unit/desktop-layering.test.ts). Each part is a module of its
// own so a CLI command loads only the part it uses; the desktop loads them all from here. Every
// failure is a SandtrayError (base.ts): a code for programs, a message and a hint for people.
export * from './base.js';
export * from './inspect.js';
export * from './lifecycle.js';
export * from './attach.js';
export * from './apps.js';
export { collectRuns, launchOnce, type RunOnceOptions, type RunningOnce } from './run.js';
export * from './events.js';
export * from './profiles.js';
export * from './vpn.js';
export * from './secrets.js';
export * from './host.js';
