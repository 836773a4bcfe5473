// Loads the bundled CLI (dist/helpers/bundle/sandtray.cjs, one CommonJS script; resources/build/
// bundle.mjs) with V8's code cache made for it at build time, so that a command does not compile
// again, on every run, the code it runs. V8 refuses a cache made by another Node or V8 version,
// or with other V8 flags, and then compiles as usual. V8 checks a cache against the length of
// the source only, so the cache's file is named after a hash of the script, written in its last
// line: a script rebuilt since never takes the cache of another.
// CommonJS, as bin/sandtray.js (bin/package.json).
'use strict';
const fs = require('node:fs');
// The module system's own class, not require('node:module'): that public module loads the ES
// module loader and the source map support with it, which this script does not use.
const Module = module.constructor;
const path = require('node:path');
const vm = require('node:vm');

const BUNDLE_FILE = 'sandtray.cjs';

/** The code cache's file name a bundle's last line gives (`//# sandtray-code-cache=cli-HASH.cache`), or null. */
function cacheFileOf(source) {
  const m = /\n\/\/# sandtray-code-cache=(cli-[0-9a-f]{16}\.cache)\n?$/.exec(source);
  return m ? m[1] : null;
}

/** Compiles and runs the bundle at file, with its code cache unless told not to; its exports, the script and its source. */
function loadCli(file, { useCache = true } = {}) {
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = useCache ? cacheFileOf(source) : null;
  let cachedData;
  try {
    if (cacheFile) cachedData = fs.readFileSync(path.join(path.dirname(file), cacheFile));
  } catch {
    // no cache: compiled as it runs
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file));
  return { main: module.exports.main, script, source };
}

exports.BUNDLE_FILE = BUNDLE_FILE;
exports.cacheFileOf = cacheFileOf;
exports.loadCli = loadCli;
