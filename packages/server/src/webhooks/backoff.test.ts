import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRetryableStatus, RETRY_DELAY_CAP_MS, RETRY_WINDOW_MS, retryDelayMs } from './backoff.js';
import { nextState } from './worker.js';

const top = () => 0; // no jitter taken off
const bottom = () => 0.9999999999; // nearly all the jitter taken off

describe('retryDelayMs', () => {
  test('doubles from the base up to the one-hour cap', () => {
    const delays_s = Array.from({ length: 10 }, (_, index) => retryDelayMs(index + 1, 30_000, undefined, top) / 1000);
    assert.deepEqual(delays_s, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  test('jitter stays within [0.8·d, d] and never passes the cap', () => {
    for (const attempt of [1, 2, 5, 8, 50, 2000]) {
      const d_ms = Math.min(RETRY_DELAY_CAP_MS, 30_000 * 2 ** (attempt - 1));
      assert.equal(retryDelayMs(attempt, 30_000, undefined, top), d_ms);
      assert.equal(retryDelayMs(attempt, 30_000, undefined, bottom), Math.round(d_ms * 0.8));
      for (let sample = 0; sample < 200; sample += 1) {
        const delay_ms = retryDelayMs(attempt, 30_000);
        assert.ok(delay_ms >= d_ms * 0.8 && delay_ms <= d_ms && delay_ms <= RETRY_DELAY_CAP_MS);
      }
    }
  });

  test('honours a custom cap', () => {
    assert.equal(retryDelayMs(10, 100, 1_000, top), 1_000);
  });

  test('rejects nonsense', () => {
    assert.throws(() => retryDelayMs(0, 30_000), RangeError);
    assert.throws(() => retryDelayMs(1.5, 30_000), RangeError);
    assert.throws(() => retryDelayMs(1, 0), RangeError);
    assert.throws(() => retryDelayMs(1, 30_000, 10_000), RangeError);
  });

  test('a delivery failing forever gets a bounded number of attempts in 3 days', () => {
    let elapsed_ms = 0;
    let attempts = 0;
    while (elapsed_ms <= RETRY_WINDOW_MS) {
      attempts += 1;
      elapsed_ms += retryDelayMs(attempts, 30_000, undefined, top);
    }
    assert.equal(RETRY_WINDOW_MS, 259_200_000);
    assert.ok(attempts > 70 && attempts < 100, `${attempts} attempts`);
  });
});

describe('isRetryableStatus', () => {
  test('408, 429 and 5xx are retried; everything else is final', () => {
    const retryable = [408, 429, 500, 502, 503, 504, 599];
    const final = [200, 204, 301, 302, 400, 401, 403, 404, 409, 410, 413, 422, 499, 600];
    for (const status of retryable) assert.equal(isRetryableStatus(status), true, String(status));
    for (const status of final) assert.equal(isRetryableStatus(status), false, String(status));
  });
});

describe('nextState', () => {
  const fresh = { attempts: 0, event_created_at_ms: 1_000_000 };
  const answered = (status_code: number) => ({ kind: 'answered' as const, status_code, location: undefined });

  test('2xx succeeds', () => {
    assert.deepEqual(nextState(answered(204), fresh, 1_000_000, 30_000), {
      status: 'succeeded',
      next_attempt_at_ms: null,
    });
  });

  test('retryable outcomes wait retryDelayMs(attempts + 1) from now', () => {
    const now_ms = 2_000_000;
    for (const result of [answered(503), answered(429), { kind: 'unreachable' as const, error: 'ECONNRESET' }]) {
      assert.deepEqual(nextState(result, { ...fresh, attempts: 2 }, now_ms, 30_000, top), {
        status: 'pending',
        next_attempt_at_ms: now_ms + 120_000,
      });
    }
  });

  test('final answers and policy refusals fail', () => {
    for (const result of [answered(400), answered(410), answered(301), { kind: 'refused' as const, error: 'x' }]) {
      assert.deepEqual(nextState(result, fresh, 1_000_000, 30_000), { status: 'failed', next_attempt_at_ms: null });
    }
  });

  test('a retry that would land after the 3-day window fails instead', () => {
    const window_end_ms = fresh.event_created_at_ms + RETRY_WINDOW_MS;
    assert.equal(nextState(answered(500), fresh, window_end_ms - 30_000, 30_000, top).status, 'pending');
    assert.equal(nextState(answered(500), fresh, window_end_ms - 29_999, 30_000, top).status, 'failed');
  });
});
