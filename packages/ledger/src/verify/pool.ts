import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, ok, type Result, WebWalletError } from '@webwallet/core';
import { type CheckedDocument, checkDocument, type PrepareOptions } from './prepare.js';
import type { VerifyRequest, VerifyResponse, VerifyResult } from './worker.js';

/** Documents per message to a verifier thread: large enough to amortize the message cost. */
export const VERIFY_CHUNK_MAX = 256;

interface Pending {
  resolve(results: VerifyResult[]): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  inFlight: number;
}

/**
 * A pool of verifier threads. A call's documents are split into chunks across the threads; each
 * chunk goes to the least busy thread.
 */
export class VerifierPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextJob = 0;
  private closed = false;

  constructor(threads: number = availableParallelism()) {
    for (let i = 0; i < threads; i++) this.spawn();
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(): void {
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    const slot: Slot = { worker, inFlight: 0 };
    worker.on('message', (response: VerifyResponse) => {
      // An idle verifier must not keep the process alive; a busy one must.
      if (--slot.inFlight === 0) worker.unref();
      const pending = this.pending.get(response.job);
      this.pending.delete(response.job);
      pending?.resolve(response.results);
    });
    worker.on('error', (error) => {
      // A crashed verifier fails its jobs (callers see service_unavailable) and is replaced.
      for (const [job, pending] of this.pending) {
        pending.reject(error);
        this.pending.delete(job);
      }
      this.slots.splice(this.slots.indexOf(slot), 1);
      if (!this.closed) this.spawn();
    });
    worker.unref();
    this.slots.push(slot);
  }

  private run(documents: readonly unknown[], options: PrepareOptions): Promise<VerifyResult[]> {
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const job = this.nextJob++;
    if (slot.inFlight++ === 0) slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      slot.worker.postMessage({ job, documents, options } satisfies VerifyRequest);
    });
  }

  /** Checks documents in parallel; results are in input order. */
  async check(documents: readonly unknown[], options: PrepareOptions): Promise<Result<CheckedDocument>[]> {
    if (this.slots.length === 0 || this.closed) return documents.map((d) => checkDocument(d, options));
    const chunks: Promise<VerifyResult[]>[] = [];
    const chunk = Math.max(1, Math.min(VERIFY_CHUNK_MAX, Math.ceil(documents.length / this.slots.length)));
    for (let i = 0; i < documents.length; i += chunk) chunks.push(this.run(documents.slice(i, i + chunk), options));
    const results = (await Promise.all(chunks)).flat();
    return results.map((r) =>
      r.ok
        ? ok({ documentId: r.documentId, signers: r.signers })
        : { ok: false, error: new WebWalletError(r.code as ErrorCode, r.details, r.message) },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
