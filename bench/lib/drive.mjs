// The closed-loop load driver: `concurrency` lanes, each submitting the next batch as soon as its
// previous one is acknowledged. Latency is per submit call (one batch / one HTTP request).
import { percentile, round } from './util.mjs';

/**
 * Runs the batches (each an opaque unit `submit` understands) and measures.
 * `submit(batch)` resolves to { accepted, rejected, error? }. Stops starting new batches once
 * `seconds_max` have passed, so a slow engine cannot blow the time budget.
 */
export async function drive(batches, { concurrency, seconds_max = Number.POSITIVE_INFINITY }, submit) {
  const latencies = [];
  let next = 0;
  let accepted = 0;
  let rejected = 0;
  let firstError;
  const started = performance.now();
  const deadline = started + seconds_max * 1000;
  const lane = async () => {
    while (next < batches.length && performance.now() < deadline) {
      const batch = batches[next++];
      const t0 = performance.now();
      const outcome = await submit(batch);
      latencies.push(performance.now() - t0);
      accepted += outcome.accepted;
      rejected += outcome.rejected;
      firstError ??= outcome.error;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  return {
    transfers: accepted,
    seconds: round(seconds, 3),
    tps: Math.round(accepted / seconds),
    p50_ms: round(percentile(latencies, 50), 1),
    p99_ms: round(percentile(latencies, 99), 1),
    max_ms: round(Math.max(0, ...latencies), 1),
    requests: latencies.length,
    rejected,
    ...(firstError ? { first_rejection: firstError } : {}),
  };
}

/** Counts a batch's per-document results. */
export function tally(results) {
  let accepted = 0;
  let error;
  for (const r of results) {
    if (r.status === 'accepted' && r.duplicate !== true) accepted++;
    else error ??= r.status === 'accepted' ? { code: 'unexpected_duplicate', id: r.id } : r.error;
  }
  return { accepted, rejected: results.length - accepted, error };
}
