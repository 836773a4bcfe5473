// Copying files in and out of a running sandbox: `file push` and `file pull`.
export { pullFile, pushFile } from '../attach/file-copy.js';
