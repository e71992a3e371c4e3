// A worker thread for registry.test.ts: one SQLite connection of its own presenting tokens at the
// same moment as the other workers. Named *.test.*.js once built, so the package never ships it.
// biome-ignore lint/correctness/noNodejsModules: test-only worker; the shipped SDK never loads it
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Redemption } from './registry.js';
import { SqliteRedemptionRegistry } from './sqlite.js';

export interface ContentionJob {
  readonly path: string;
  /** One template per key; presentation i differs only in its reference, `presentation-<i>`. */
  readonly redemptions: readonly Redemption[];
  /** This worker makes presentations worker, worker + workers, worker + 2 × workers, … */
  readonly worker: number;
  readonly workers: number;
  readonly presentations_per_key: number;
  /** One Int32 per key: how many workers have reached that key. */
  readonly barrier: SharedArrayBuffer;
}

export interface ContentionResult {
  /** Per key, the presentations of this worker whose claim returned true. */
  readonly won: number[][];
  readonly errors: string[];
}

const BARRIER_TIMEOUT_MS = 10_000;

/** Blocks until every worker has reached key `index`, so all start claiming it at once. */
function arriveAndWait(arrived: Int32Array, index: number, workers: number): void {
  Atomics.add(arrived, index, 1);
  Atomics.notify(arrived, index);
  const deadline = Date.now() + BARRIER_TIMEOUT_MS;
  for (let seen = Atomics.load(arrived, index); seen < workers; seen = Atomics.load(arrived, index)) {
    if (Date.now() > deadline) throw new Error(`barrier ${index}: only ${seen} of ${workers} workers arrived`);
    Atomics.wait(arrived, index, seen, BARRIER_TIMEOUT_MS);
  }
}

async function run(job: ContentionJob): Promise<ContentionResult> {
  // timeout 0: no busy timeout of our own, so the registry's default is what prevents SQLITE_BUSY.
  const db = new Database(job.path, { timeout: 0 });
  try {
    const registry = SqliteRedemptionRegistry.open(db);
    const arrived = new Int32Array(job.barrier);
    const won: number[][] = [];
    const errors: string[] = [];
    for (const [index, template] of job.redemptions.entries()) {
      arriveAndWait(arrived, index, job.workers);
      const wins: number[] = [];
      for (let i = job.worker; i < job.presentations_per_key; i += job.workers) {
        try {
          if (await registry.claim({ ...template, reference: `presentation-${i}` })) wins.push(i);
        } catch (error) {
          errors.push(String(error));
        }
      }
      won.push(wins);
    }
    return { won, errors };
  } finally {
    db.close();
  }
}

parentPort?.postMessage(await run(workerData as ContentionJob));
