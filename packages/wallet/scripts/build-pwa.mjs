#!/usr/bin/env node
/**
 * Builds the wallet web app (packages/wallet/pwa) into the files a host serves under /wallet/:
 * index.html, app.js (pwa/app.ts bundled with the wallet core by esbuild), app.css, sw.js (the
 * offline shell, its cache named after the build's content hash), manifest.webmanifest and
 * icon.svg, and the scripts app.js loads only when needed (LAZY_SCRIPTS).
 *
 * The node builds it in memory on the first request to /wallet/ (packages/server/src/wallet), so
 * `npm start` needs no extra step. To host the wallet as static files elsewhere:
 *
 *   node packages/wallet/scripts/build-pwa.mjs [out-dir]    (default packages/wallet/dist-pwa)
 *
 * and serve out-dir at /wallet/ with the headers in packages/server/src/wallet/routes.ts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = join(HERE, '..', 'pwa');
export const OUT_DIR_DEFAULT = join(HERE, '..', 'dist-pwa');

/**
 * The budget for the initial load: the JS and CSS a first visit downloads, gzipped.
 * The build refuses to go over it, so a heavy dependency is noticed when it is added.
 */
export const INITIAL_LOAD_GZIP_BYTES_MAX = 200 * 1024;

/**
 * Scripts app.js imports only when needed (`import('./qr-reader.js')`), each bundled on its own
 * from pwa/<name>.ts: they stay out of the initial load, and the service worker keeps them for
 * offline use. qr-reader.js is jsQR (about 47 KB gzipped), for reading QR codes in browsers
 * without BarcodeDetector. Separate builds rather than esbuild's code splitting, which would move
 * the helpers both share into extra chunks with hashed names that app.js loads at start; so a
 * lazy script should import nothing that app.js has (it would be downloaded twice).
 */
export const LAZY_SCRIPTS = Object.freeze(['qr-reader.js']);

/** What the shell is made of; sw.js caches all of these and nothing else. */
export const SHELL_FILES = Object.freeze([
  '',
  'app.js',
  'app.css',
  'manifest.webmanifest',
  'icon.svg',
  ...LAZY_SCRIPTS,
]);

const TYPES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'sw.js': 'text/javascript; charset=utf-8',
  'manifest.webmanifest': 'application/manifest+json',
  'icon.svg': 'image/svg+xml',
  ...Object.fromEntries(LAZY_SCRIPTS.map((name) => [name, 'text/javascript; charset=utf-8'])),
};

/** Leaves app.js's `import('./<lazy script>')` as it is, for the browser to load on first use. */
const lazyScriptsExternal = {
  name: 'lazy-scripts',
  setup(build) {
    const names = LAZY_SCRIPTS.map((name) => name.replace(/[.]/g, '\\.')).join('|');
    build.onResolve({ filter: new RegExp(`^\\./(${names})$`) }, (args) => ({ path: args.path, external: true }));
  },
};

/** esbuild's settings for app.js (the benchmark reuses them to see what the bundle is made of). */
export const BUNDLE_OPTIONS = Object.freeze({
  entryPoints: [join(SOURCE_DIR, 'app.ts')],
  tsconfig: join(SOURCE_DIR, 'tsconfig.json'),
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  // Not minifySyntax: it would fold core's variable specifiers back into import("node:crypto").
  minifyWhitespace: true,
  minifyIdentifiers: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'silent',
  plugins: [lazyScriptsExternal],
});

/**
 * Bundles pwa/app.ts for browsers. Core loads node:crypto and node:zlib only on Node, through a
 * variable specifier that esbuild leaves alone; a static import of a Node module would break the
 * app, so the bundle is refused if it has one.
 */
async function bundleScript(entry = 'app.ts') {
  const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [join(SOURCE_DIR, entry)] });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
  const lazy = (i) => i.kind === 'dynamic-import' && LAZY_SCRIPTS.includes(i.path.slice(2));
  const external = imports.filter((i) => i.path.startsWith('node:') || (i.external && !lazy(i))).map((i) => i.path);
  const text = result.outputFiles[0]?.text ?? '';
  if (external.length > 0 || /\bimport\s*\(\s*["'`]node:/.test(text)) {
    throw new Error(`the wallet bundle must not import Node modules: ${external.join(', ') || 'import("node:…")'}`);
  }
  return text;
}

async function minifyCss(path) {
  const result = await build({
    entryPoints: [path],
    bundle: true,
    write: false,
    minify: true,
    logLevel: 'silent',
    loader: { '.css': 'css' },
  });
  return result.outputFiles[0]?.text ?? '';
}

function gzip(bytes) {
  return gzipSync(bytes, { level: 9 });
}

/**
 * Builds the app in memory.
 *
 * @returns {Promise<{ version: string, files: { name: string, type: string, body: Buffer, gzip: Buffer }[],
 *   initial_load_gzip_bytes: number }>} file names are relative to /wallet/; version is the
 *   content hash the service worker's cache is named after
 */
export async function buildPwa() {
  const read = (name) => readFile(join(SOURCE_DIR, name), 'utf8');
  const [script, css, html, manifest, icon, worker, ...lazy] = await Promise.all([
    bundleScript(),
    minifyCss(join(SOURCE_DIR, 'app.css')),
    read('index.html'),
    read('manifest.webmanifest'),
    read('icon.svg'),
    read('sw.js'),
    ...LAZY_SCRIPTS.map((name) => bundleScript(name.replace(/\.js$/, '.ts'))),
  ]);
  JSON.parse(manifest); // a broken manifest fails the build, not the install
  const shell = {
    'index.html': html,
    'app.js': script,
    'app.css': css,
    'manifest.webmanifest': manifest,
    'icon.svg': icon,
    ...Object.fromEntries(LAZY_SCRIPTS.map((name, i) => [name, lazy[i]])),
  };
  // Any change to a shell file changes the cache name, so browsers install the new version.
  const version = createHash('sha256').update(JSON.stringify(shell)).digest('hex').slice(0, 16);
  const sw = worker.replace('__VERSION__', version).replace('__FILES__', JSON.stringify(SHELL_FILES));
  const files = Object.entries({ ...shell, 'sw.js': sw }).map(([name, text]) => {
    const body = Buffer.from(text, 'utf8');
    return { name, type: TYPES[name], body, gzip: gzip(body) };
  });
  const initial = files.filter((f) => f.name === 'app.js' || f.name === 'app.css');
  const initial_load_gzip_bytes = initial.reduce((sum, f) => sum + f.gzip.length, 0);
  if (initial_load_gzip_bytes > INITIAL_LOAD_GZIP_BYTES_MAX) {
    throw new Error(
      `the wallet's initial load is ${initial_load_gzip_bytes} bytes gzipped, over the budget of ${INITIAL_LOAD_GZIP_BYTES_MAX}`,
    );
  }
  return { version, files, initial_load_gzip_bytes };
}

/** Writes a build to `dir` (created if missing); returns the build. */
export async function writePwa(dir = OUT_DIR_DEFAULT) {
  const built = await buildPwa();
  await mkdir(dir, { recursive: true });
  await Promise.all(built.files.map((f) => writeFile(join(dir, f.name), f.body)));
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = resolve(process.argv[2] ?? OUT_DIR_DEFAULT);
  const built = await writePwa(dir);
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  for (const f of built.files)
    console.log(`${f.name.padEnd(22)} ${kb(f.body.length).padStart(9)}  gzip ${kb(f.gzip.length)}`);
  console.log(`initial load (app.js + app.css, gzip): ${kb(built.initial_load_gzip_bytes)}; written to ${dir}`);
}
