// The host: its checks (doctor), its facts, the tools found on it, and the user's subordinate id ranges.
export { doctor, type Check } from '../inspect/doctor.js';
export { readHostFacts, type HostFacts } from '../host/facts.js';
export { which } from '../host/tools.js';
export { releaseIds } from '../idmap/assign.js';
export { idmapReport, type IdmapReport } from '../inspect/idmap-report.js';
export { formatRanges } from '../idmap/rangeset.js';
