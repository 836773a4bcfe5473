// Injected into the CLI bundle (bundle.mjs): what `import.meta.url` stands for there, the URL of
// the bundle's own file, as it is for each ES module in dist/.
export const __sandtrayModuleUrl = require('node:url').pathToFileURL(__filename).href;
