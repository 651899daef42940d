#!/usr/bin/env node
/**
 * Builds the agent desk (apps/desk) into static files the service serves at `/`: one JS bundle
 * (Preact and the app, minified, ES2020), chunks it loads on demand (the OpenID Connect client),
 * one stylesheet, and index.html naming the bundle and the stylesheet. File
 * names carry a content hash, so the service can let browsers cache them for good. Nothing is
 * loaded from elsewhere (no CDN, no web fonts) and index.html has no inline script, as the
 * service's CSP (script-src 'self') requires. Fails when the first screen's JavaScript is over
 * its budget (150 KB gzipped).
 *
 *   node scripts/build-desk.mjs [--outdir dist/desk]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DESK = join(ROOT, 'apps', 'desk');
const BUDGET_GZIPPED_BYTES = 150 * 1024;

const args = process.argv.slice(2);
const outdirAt = args.indexOf('--outdir');
if ((outdirAt !== -1 && args[outdirAt + 1] === undefined) || args.length !== (outdirAt === -1 ? 0 : 2)) {
  console.error('usage: node scripts/build-desk.mjs [--outdir <dir>]');
  process.exit(2);
}
const outdir = resolve(ROOT, outdirAt === -1 ? join('dist', 'desk') : args[outdirAt + 1]);

const started = Date.now();
// Old hashed files would otherwise pile up (and be served).
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { desk: join(DESK, 'src', 'main.tsx'), 'desk-style': join(DESK, 'src', 'styles.css') },
  outdir,
  entryNames: '[name]-[hash]',
  // Code loaded on demand (import(): the OpenID Connect client) goes into chunks of its own.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(DESK, 'tsconfig.json'),
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const outputs = Object.entries(result.metafile.outputs).map(([path, output]) => ({ path: resolve(ROOT, path), output }));
const script = outputs.find(({ path, output }) => path.endsWith('.js') && output.entryPoint?.endsWith('main.tsx'));
const style = outputs.find(({ path }) => path.endsWith('.css'));
if (!script || !style) throw new Error('esbuild did not produce the desk script and stylesheet');

const html = readFileSync(join(DESK, 'index.html'), 'utf8')
  .replace('%DESK_SCRIPT%', `./${basename(script.path)}`)
  .replace('%DESK_STYLE%', `./${basename(style.path)}`);
if (/%DESK_[A-Z]+%/.test(html)) throw new Error('apps/desk/index.html names an asset this script does not know');
writeFileSync(join(outdir, 'index.html'), html);

const size = (path) => {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
};
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
/** The first screen's JavaScript: the entry and every chunk it imports statically (what import() loads later is not). */
const firstScreen = (path, seen = new Set()) => {
  if (seen.has(path)) return seen;
  seen.add(path);
  const output = outputs.find((candidate) => candidate.path === path)?.output;
  for (const imported of output?.imports ?? []) if (imported.kind === 'import-statement') firstScreen(resolve(ROOT, imported.path), seen);
  return seen;
};
const firstScreenFiles = [...firstScreen(script.path)];
const js = firstScreenFiles
  .map(size)
  .reduce((sum, one) => ({ raw: sum.raw + one.raw, gzipped: sum.gzipped + one.gzipped }), { raw: 0, gzipped: 0 });
const later = outputs.filter(({ path }) => path.endsWith('.js') && !firstScreenFiles.includes(path)).map(({ path }) => size(path));
const onDemand = later.reduce((sum, one) => sum + one.gzipped, 0);
const css = size(style.path);
// On stderr, and not under `npm run --silent` (as `npm run cli` builds): the CLI's standard
// output carries only what its command prints (a token, a link).
if (process.env.npm_config_loglevel !== 'silent')
  console.error(
    `desk: ${relative(ROOT, outdir)}/ in ${Date.now() - started} ms; first screen JS ${kb(js.raw)} (${kb(js.gzipped)} gzipped, budget ${kb(BUDGET_GZIPPED_BYTES)}), CSS ${kb(css.raw)} (${kb(css.gzipped)} gzipped); loaded on demand: ${later.length} JS chunk(s), ${kb(onDemand)} gzipped`,
  );
if (js.gzipped > BUDGET_GZIPPED_BYTES) {
  console.error(`desk: the first screen's JavaScript is ${kb(js.gzipped)} gzipped, over its budget of ${kb(BUDGET_GZIPPED_BYTES)}`);
  process.exit(1);
}
