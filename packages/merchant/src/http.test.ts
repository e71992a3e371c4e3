import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  WebWalletApiError,
  WebWalletConnectionError,
  WebWalletRateLimitError,
  WebWalletTimeoutError,
} from './errors.js';
import { isRetryable, parseRetryAfter, path, retryDelayMs } from './http.js';

// Isomorphic: also runs in headless Chromium (isomorphic.node.test.ts).

describe('Retry-After and backoff', () => {
  test('reads delay-seconds and HTTP-dates (RFC 9110 section 10.2.3)', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(null), null);
    assert.equal(parseRetryAfter('0'), 0);
    assert.equal(parseRetryAfter(' 7 '), 7);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now), 5);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter('-3'), null);
  });

  test('honours Retry-After up to 10 s', () => {
    assert.equal(retryDelayMs(0, 0), 0);
    assert.equal(retryDelayMs(0, 3), 3000);
    assert.equal(retryDelayMs(5, 3600), 10_000);
  });

  test('otherwise backs off exponentially with jitter, up to 8 s', () => {
    assert.equal(
      retryDelayMs(0, null, () => 0),
      125,
    );
    assert.equal(
      retryDelayMs(0, null, () => 1),
      250,
    );
    assert.equal(
      retryDelayMs(1, null, () => 1),
      500,
    );
    assert.equal(
      retryDelayMs(2, null, () => 0.5),
      750,
    );
    assert.equal(
      retryDelayMs(20, null, () => 1),
      8000,
    );
    for (let attempt = 0; attempt < 8; attempt++) {
      const delay = retryDelayMs(attempt, null);
      const ceiling = Math.min(250 * 2 ** attempt, 8000);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${attempt}: ${delay}`);
    }
  });

  test('retries connection failures, 429, 502, 503, 504 and idempotency_key_in_use only', () => {
    const api = (status: number, code = 'x') => new WebWalletApiError({ status, code, message: '' });
    assert.equal(isRetryable(new WebWalletConnectionError('reset')), true);
    assert.equal(isRetryable(new WebWalletTimeoutError('slow')), true);
    assert.equal(isRetryable(new WebWalletRateLimitError({ status: 429, code: 'rate_limited', message: '' })), true);
    for (const status of [502, 503, 504]) assert.equal(isRetryable(api(status)), true, String(status));
    assert.equal(isRetryable(api(409, 'idempotency_key_in_use')), true);
    for (const status of [400, 401, 403, 404, 409, 413, 422, 500]) assert.equal(isRetryable(api(status)), false);
    assert.equal(isRetryable(new TypeError('bug')), false);
  });
});

describe('path', () => {
  test('percent-encodes ids so that they stay one path segment', () => {
    assert.equal(path`/v1/invoices/${'inv_1'}`, '/v1/invoices/inv_1');
    assert.equal(path`/v1/invoices/${'a/../b?c#d'}/mark`, '/v1/invoices/a%2F..%2Fb%3Fc%23d/mark');
    assert.equal(
      path`/v1/webhooks/${'we_1'}/deliveries/${'whd 2'}/redeliver`,
      '/v1/webhooks/we_1/deliveries/whd%202/redeliver',
    );
  });

  test('refuses empty and dot-segment ids', () => {
    for (const id of ['', '.', '..']) assert.throws(() => path`/v1/invoices/${id}`, TypeError);
    assert.throws(() => path`/v1/invoices/${undefined as unknown as string}`, TypeError);
  });
});
