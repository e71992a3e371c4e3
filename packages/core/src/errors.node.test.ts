import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES, ERRORS, err, WebWalletError } from './errors.js';
import { errorsMarkdown } from './errors-doc.js';

test('every error code has an HTTP error status and a message that ends a sentence', () => {
  assert.ok(ERROR_CODES.length >= 15);
  for (const code of ERROR_CODES) {
    const { status, message } = ERRORS[code];
    assert.ok(status >= 400 && status <= 599, code);
    assert.match(message, /[.)]$/, code);
    assert.match(code, /^[a-z]+(_[a-z]+)*$/, code);
  }
});

test('errors serialize to the one wire shape', () => {
  const error = new WebWalletError('amount_too_precise', { scale: 2 });
  assert.deepEqual(JSON.parse(JSON.stringify(error)), {
    error: { code: 'amount_too_precise', message: ERRORS.amount_too_precise.message, details: { scale: 2 } },
  });
  const result = err('signature_missing', { key: 'pub_x' });
  assert.equal(result.error.status, 422);
});

test('docs/errors.md is generated from the table and up to date (npm run docs:errors)', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, errorsMarkdown());
  for (const code of ERROR_CODES) assert.ok(doc.includes(`\`${code}\``), code);
});
