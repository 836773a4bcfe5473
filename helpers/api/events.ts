// The event stream: every state transition of every sandbox, in order, and waiting for one.
export { snapshot, waitForState, watchStates, type StateEvent, type Watcher, type WatchOptions } from '../inspect/monitor.js';
