import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireChromium, runTestsInBrowser } from '@webwallet/testkit';

// The SDK promises to run on fetch-based edge runtimes. The test files without ".node." run again,
// unchanged, in headless Chromium: proof that the SDK needs only web-standard globals.
test('the isomorphic merchant tests pass in headless Chromium', { timeout: 180_000 }, async (t) => {
  const chromium = requireChromium(t);
  if (!chromium) return;
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.js') && !f.endsWith('.node.test.js'))
    .map((f) => `${dir}${f}`);
  assert.ok(files.length >= 3, `expected the isomorphic test files, found ${files.length}`);
  const run = await runTestsInBrowser(chromium, files);
  const failures = run.results.filter((r) => !r.ok);
  for (const r of run.results) t.diagnostic(`${r.ok ? 'ok' : 'FAIL'} ${r.name}${r.skipped ? ' (skipped)' : ''}`);
  assert.deepEqual(failures, [], failures.map((f) => `${f.name}\n${f.error}`).join('\n\n'));
  assert.ok(run.results.length >= 10, `expected the whole suite to run, ran ${run.results.length}`);
  assert.ok(!run.results.some((r) => r.skipped), 'nothing may be skipped in the browser');
  assert.match(run.userAgent, /Chrome\//);
  assert.ok(
    run.requests.every((url) => url.startsWith('http://127.0.0.1:')),
    'no request may leave loopback',
  );
});
