#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) with Node's test runner.
// Usage: node scripts/run-tests.mjs [substring ...]   e.g. `npm test -- core` runs core's tests only.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (entry.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'packages'))
  .map((pkg) => join(root, 'packages', pkg, 'dist'))
  .filter((dist) => statSync(dist, { throwIfNoEntry: false })?.isDirectory())
  .flatMap(findTests)
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
