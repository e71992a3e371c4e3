// Self-custody keys and pre-signed documents, made on one thread per core before timing starts.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const SIGN_CHUNK = 2_000;

export class Signer {
  #workers = [];
  #pending = new Map();
  #nextJob = 0;
  /** Public keys ("pub_…") of the self-custody accounts, index = account number. */
  publicKeys = [];

  /** Keys 0…count-1 come from fixed seeds, so every run uses the same accounts. */
  static async create(count, threads = availableParallelism()) {
    const signer = new Signer();
    for (let i = 0; i < threads; i++) signer.#spawn();
    const made = await Promise.all(
      signer.#workers.map((w, i) => signer.#call(w, { op: 'keys', count, report: i === 0 })),
    );
    signer.publicKeys = made[0].publicKeys;
    return signer;
  }

  #spawn() {
    const worker = new Worker(new URL('./sign-worker.mjs', import.meta.url));
    worker.on('message', (message) => {
      const pending = this.#pending.get(message.job);
      this.#pending.delete(message.job);
      pending?.resolve(message);
    });
    worker.on('error', (error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    });
    this.#workers.push(worker);
  }

  #call(worker, message) {
    const job = this.#nextJob++;
    return new Promise((resolve, reject) => {
      this.#pending.set(job, { resolve, reject });
      worker.postMessage({ ...message, job });
    });
  }

  /** Signs [{type, body, signer: account index}] into documents, in order. */
  async sign(items) {
    const chunks = [];
    for (let i = 0; i < items.length; i += SIGN_CHUNK) chunks.push(items.slice(i, i + SIGN_CHUNK));
    const signed = await Promise.all(
      chunks.map((c, i) => this.#call(this.#workers[i % this.#workers.length], { op: 'sign', items: c })),
    );
    return signed.flatMap((s) => s.documents);
  }

  async close() {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
