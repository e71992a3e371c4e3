#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) and every example's tests
// (examples/*/test/**/*.test.mjs, plain JavaScript) with Node's test runner.
// Usage: node scripts/run-tests.mjs [substring ...]   e.g. `npm test -- core` runs core's tests only.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir, suffix) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findTests(path, suffix));
    else if (entry.endsWith(suffix)) out.push(path);
  }
  return out;
}

// The directories <parent>/<each entry>/<sub> that exist, e.g. packages/core/dist.
function subdirs(parent, sub) {
  if (!statSync(join(root, parent), { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(join(root, parent))
    .map((name) => join(root, parent, name, sub))
    .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory());
}

const filters = process.argv.slice(2);
const files = [
  ...subdirs('packages', 'dist').flatMap((dir) => findTests(dir, '.test.js')),
  ...subdirs('examples', 'test').flatMap((dir) => findTests(dir, '.test.mjs')),
]
  .map((file) => relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  console.error(`no test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}; did the build run?`);
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
