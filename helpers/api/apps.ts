// A sandbox's apps: opening one (starting the sandbox when needed), for `sandtray open` and the
// desktop's "Open app"; a part of its own so that neither the lifecycle commands nor `exec` load it.
export { openSandboxApp, sandboxApp, type OpenAppOptions } from '../lifecycle/open-app.js';
