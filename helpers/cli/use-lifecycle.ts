// The engine of the lifecycle commands (create, launch, start, stop, restart, delete, run, plan,
// open), imported when they run (commands.ts).
export { createSandbox } from '../lifecycle/create.js';
export { planSandbox, startSandbox } from '../lifecycle/start.js';
export { stopSandbox } from '../lifecycle/stop.js';
export { deleteSandbox } from '../lifecycle/delete.js';
export { expandRecord, profileRef } from '../profile/resolve.js';
export { parseOverrides } from './overrides.js';
export { USERNS_SCRIPT } from '../idmap/userns.js';
