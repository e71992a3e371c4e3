// (c): this machine's raw Ed25519 verification rate on all cores, the ceiling for signed transfers.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export async function verifyCeiling(seconds, threads = availableParallelism()) {
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL('./verify-worker.mjs', import.meta.url), { workerData: { ms: seconds * 1000 } }),
  );
  try {
    await Promise.all(
      workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))),
    );
    const done = workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject)));
    for (const w of workers) w.postMessage('go');
    const results = await Promise.all(done);
    const rate = (phase) => results.reduce((sum, r) => sum + r[phase].count / r[phase].seconds, 0);
    const failed = results.reduce((sum, r) => sum + r.cached.failed + r.parsed.failed, 0);
    if (failed > 0) throw new Error(`verify ceiling: ${failed} signatures failed to verify`);
    return {
      threads,
      per_s: Math.round(rate('cached')),
      per_s_one_core: Math.round(rate('cached') / threads),
      // The same with a DER public-key parse before every verify (a key-cache miss in core).
      per_s_parsing_key: Math.round(rate('parsed')),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
