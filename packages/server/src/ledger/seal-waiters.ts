import type { Ledger } from '@webwallet/ledger';

/** Most requests held open at once waiting for a block; beyond that a request is answered at once. */
export const SEAL_WAITERS_MAX = 10_000;

interface Waiter {
  readonly seq: number;
  readonly done: (sealed: boolean) => void;
}

/**
 * Requests waiting for the block that seals a transaction (GET /v1/transactions/{id}?wait_ms=N).
 * One commit listener serves them all: the ledger reports its sealed tree size after every commit,
 * and each seal wakes the waiters it covers, so a wallet hears of its block as it is written
 * instead of polling for it.
 */
export class SealWaiters {
  private readonly waiting = new Set<Waiter>();
  private readonly unsubscribe: () => void;
  private sealedSize: number;

  constructor(
    private readonly ledger: Ledger,
    private readonly max = SEAL_WAITERS_MAX,
  ) {
    this.sealedSize = ledger.sealedSize;
    this.unsubscribe = ledger.onCommit((event) => this.sealed(event.sealed_size));
  }

  /**
   * Resolves true once a block covers `seq`; false when `wait_ms` passes first, `signal` aborts
   * (the client went away), the node is closing, or too many requests already wait.
   */
  wait(seq: number, wait_ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.ledger.sealedSize > seq) return Promise.resolve(true);
    if (wait_ms <= 0 || signal?.aborted || this.waiting.size >= this.max) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        seq,
        done: (sealed) => {
          this.waiting.delete(waiter);
          clearTimeout(timer);
          signal?.removeEventListener('abort', abort);
          resolve(sealed);
        },
      };
      const timer = setTimeout(() => waiter.done(this.ledger.sealedSize > seq), wait_ms);
      const abort = () => waiter.done(false);
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.add(waiter);
    });
  }

  /** How many requests are waiting now. */
  get size(): number {
    return this.waiting.size;
  }

  private sealed(size: number): void {
    // Most commits seal nothing: only a larger sealed size can wake anyone.
    if (size <= this.sealedSize) return;
    this.sealedSize = size;
    for (const waiter of this.waiting) if (waiter.seq < size) waiter.done(true);
  }

  /** Answers every waiting request now (unsealed) and stops listening: the node is shutting down. */
  close(): void {
    this.unsubscribe();
    for (const waiter of this.waiting) waiter.done(false);
  }
}
