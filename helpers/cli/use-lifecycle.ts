// The engine of the lifecycle commands (create, launch, start, stop, restart, delete, run, plan,
// open), imported when they run (commands.ts).
export { createSandbox, deleteSandbox, expandRecord, launchSandbox, planSandbox, profileRef, restartSandbox, startSandbox, stopSandbox, hasTunnel, noteTunnelWaitFailure, waitForTunnel } from '../api/lifecycle.js';
export { sandboxState } from '../api/inspect.js';
export { parseOverrides } from './overrides.js';
