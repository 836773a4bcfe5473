// The engine of the read commands (list, info, ps, pid, assets, wait), which import it when they
// run (commands.ts): neither execa nor the lifecycle may come in through here.
export { listSandboxes, readRecord, sandboxAssets, sandboxDirs, sandboxInfo, sandboxOfPid, sandboxProcesses, STATES } from '../api/inspect.js';
