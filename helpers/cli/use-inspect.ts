// The engine of the read commands (list, info, ps, pid, assets, wait), which import it when they
// run (commands.ts): neither execa nor the lifecycle may come in through here.
export { listSandboxes, sandboxInfo } from '../inspect/info.js';
export { sandboxOfPid, sandboxProcesses } from '../inspect/ps.js';
export { sandboxAssets } from '../inspect/assets.js';
export { readRecord, sandboxDirs } from '../runtime/store.js';
export { STATES } from '../runtime/state.js';
