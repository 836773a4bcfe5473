// The part of the engine's API every caller loads up front, and that `sandtray --help` may load:
// the one error type, the state folders, and the pure readings (risks, id map lines, graphics plan)
// the CLI prints. Nothing here loads a package or starts a process.
export { SandtrayError, asSandtrayError, type ErrorCode, type ErrorJson } from '../core/errors.js';
export { sandtrayPaths, type Paths } from '../core/paths.js';
export { visible, type VisibleOptions } from '../core/visible.js';
export { formatRisk, profileRisks, resolvedIfDifferent, riskHost, type Risk, type RiskLevel } from '../profile/risks.js';
export { formatMapLines } from '../idmap/map.js';
export { graphicsPlan, readGraphicsHost } from '../plan/graphics.js';
export type { State } from '../runtime/state.js';
export type { SandboxRecord } from '../runtime/store.js';
export type { Profile } from '../profile/schema.js';
