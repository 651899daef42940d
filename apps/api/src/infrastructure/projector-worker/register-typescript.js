/**
 * Lets the projector thread start from the TypeScript sources (tests, development): compiles
 * `.ts` on load and resolves the `@lib/*` aliases of tsconfig.json. The built service starts
 * the compiled `.js` entry instead and never loads this file.
 */
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const ts = require('typescript');
const tsconfigPaths = require('tsconfig-paths');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
    },
  });
  module._compile(outputText, filename);
};

let root = __dirname;
while (!require('node:fs').existsSync(join(root, 'tsconfig.json')) && dirname(root) !== root) root = dirname(root);
const config = tsconfigPaths.loadConfig(root);
if (config.resultType !== 'success') throw new Error(`Cannot read ${join(root, 'tsconfig.json')}: ${config.message}`);
tsconfigPaths.register({ baseUrl: config.absoluteBaseUrl, paths: config.paths });
