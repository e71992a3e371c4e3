/** How long after its event a delivery keeps being retried (docs/processor.md: "for up to 3 days"). */
export const RETRY_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;

/** Longest wait between two attempts (docs/processor.md: "capped at 1 hour"). */
export const RETRY_DELAY_CAP_MS = 60 * 60 * 1000;

/** Share of the delay that jitter may take off. */
const JITTER_FRACTION = 0.2;

/**
 * Wait before retrying after failed attempt number `attempt` (1 for the first attempt):
 * `d = min(cap_ms, base_ms × 2^(attempt − 1))`, then jittered uniformly within [0.8·d, d].
 *
 * Why jitter down only: most retries of a long outage happen at the cap, and jittering
 * symmetrically would either break the cap or pile half of them onto it. A 20% window still
 * spreads out the deliveries of an endpoint that failed them all at once, so they do not return
 * as one burst when it recovers.
 *
 * @example
 * retryDelayMs(1, 30_000); // between 24 s and 30 s
 * retryDelayMs(20, 30_000); // between 48 min and 1 h
 */
export function retryDelayMs(
  attempt: number,
  base_ms: number,
  cap_ms: number = RETRY_DELAY_CAP_MS,
  random: () => number = Math.random,
): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be ≥ 1, got ${attempt}`);
  if (!(base_ms > 0) || !(cap_ms >= base_ms)) {
    throw new RangeError(`need 0 < base_ms ≤ cap_ms, got base_ms ${base_ms}, cap_ms ${cap_ms}`);
  }
  // 2 ** 1024 is Infinity, which min() turns into the cap: no overflow for any attempt count.
  const delay_ms = Math.min(cap_ms, base_ms * 2 ** (attempt - 1));
  return Math.round(delay_ms * (1 - JITTER_FRACTION * random()));
}

/**
 * Whether an HTTP answer means "try again later": 408 Request Timeout, 429 Too Many Requests and
 * every 5xx. Other statuses are the receiver's final word (RFC 9110 §15).
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}
