// What `exec`, `shell` and `run` use to enter a sandbox, imported when they run (commands.ts). The
// path of every `exec`: neither execa, yaml, the planner nor the lifecycle may come in through here.
export { attachSpec, haveTerminal, runAttached, runningSandbox } from '../api/attach.js';
