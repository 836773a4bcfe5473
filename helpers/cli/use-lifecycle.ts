// The engine of the lifecycle commands (create, launch, start, stop, restart, delete, run, plan,
// open), imported when they run (commands.ts).
export { createSandbox, deleteSandbox, expandRecord, launchSandbox, planSandbox, profileRef, restartSandbox, startSandbox, stopSandbox } from '../api/lifecycle.js';
export { parseOverrides } from './overrides.js';
