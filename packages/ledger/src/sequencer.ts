import {
  BLOCK_DOCUMENT_TYPE,
  type BlockHeader,
  bytesEqual,
  createDocument,
  documentHash,
  type KeyPair,
  toHex,
  unwrap,
  WebWalletError,
} from '@webwallet/core';
import { MerkleFrontier, type MerkleNode } from './chain/merkle-log.js';
import { applyTransaction } from './engine/apply.js';
import { MinHeap } from './engine/heap.js';
import { assertInvariants } from './engine/invariants.js';
import { type Hold, LedgerState, Overlay } from './engine/state.js';
import type { LedgerStorage, StoredBlock, StoredTransaction, TakenId } from './storage/storage.js';
import { type PreparedTransaction, prepareTransaction } from './verify/prepare.js';

export interface SequencerOptions {
  readonly storage: LedgerStorage;
  readonly nodeKey: { readonly publicKey: string; readonly keyPair: KeyPair };
  /** Seal a block once this many transactions are unsealed. */
  readonly block_transactions_max: number;
  /** Seal a block once the oldest unsealed transaction is this old. */
  readonly block_interval_ms: number;
  /** Most transactions applied and committed together (group commit). */
  readonly batch_size_max: number;
  readonly assert_invariants: boolean;
  readonly clock: () => number;
}

export type TxOutcome =
  | {
      readonly status: 'accepted';
      readonly id: string;
      readonly document_id: string;
      readonly seq: number;
      readonly accepted_at_ms: number;
      readonly duplicate: boolean;
    }
  | { readonly status: 'rejected'; readonly id: string; readonly error: WebWalletError };

/** What a commit listener hears: the transactions just made durable, and the log's new extent. */
export interface CommitEvent {
  readonly transactions: readonly StoredTransaction[];
  readonly log_size: number;
  readonly sealed_size: number;
}

export type CommitListener = (event: CommitEvent) => void;

interface Item {
  readonly group: readonly PreparedTransaction[];
  readonly atomic: boolean;
  readonly resolve: (outcomes: TxOutcome[]) => void;
}

interface LastBlock {
  readonly header: BlockHeader;
  readonly hash: string;
}

/** Working state of one batch; discarded unless the commit succeeds. */
interface BatchWork {
  readonly now: number;
  readonly overlay: Overlay;
  readonly frontier: MerkleFrontier;
  seq: number;
  readonly transactions: StoredTransaction[];
  readonly entries: { account: string; seq: number }[];
  readonly nodes: MerkleNode[];
  /** Ids accepted in this batch, for duplicates within it. */
  readonly accepted: Map<string, { seq: number; hash: Uint8Array; accepted_at_ms: number }>;
  /** Ids already in storage. */
  readonly stored: Map<string, TakenId>;
}

/**
 * The single writer. Transactions arrive already checked (schema, signatures); the sequencer
 * applies them one after another against in-memory state, then writes the whole batch in one
 * database transaction (group commit) and only then acknowledges. One writer means no row locks
 * and no deadlocks, and a hot account costs no more than a cold one.
 */
export class Sequencer {
  private readonly state = new LedgerState();
  private frontier = MerkleFrontier.empty();
  private nextSeq = 0;
  private lastBlock: LastBlock | undefined;
  private sealedSize = 0;
  private unsealedSince: number | undefined;
  private readonly expiries = new MinHeap<string>();
  private readonly queue: Item[] = [];
  private running = false;
  /** The next wake-up: a due seal or hold expiry (see `arm`). */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<CommitListener>();

  private constructor(private readonly options: SequencerOptions) {}

  static async start(options: SequencerOptions): Promise<Sequencer> {
    const sequencer = new Sequencer(options);
    await sequencer.load();
    sequencer.arm();
    return sequencer;
  }

  private async load(): Promise<void> {
    const snapshot = await this.options.storage.loadSnapshot();
    for (const a of snapshot.accounts) this.state.accounts.set(a.id, a);
    for (const c of snapshot.currencies) this.state.currencies.set(c.code, c);
    for (const l of snapshot.lines) this.state.lines.set(`${l.holder}\u0000${l.currency}`, l);
    for (const h of snapshot.holds) {
      this.state.holds.set(h.id, h);
      if (h.state === 'pending') this.expiries.push(h.expires_at_ms, h.id);
    }
    this.nextSeq = snapshot.log_size;
    this.frontier = await MerkleFrontier.load(this.options.storage, snapshot.log_size);
    if (snapshot.latest_block) this.lastBlock = parseBlock(snapshot.latest_block);
    this.sealedSize = snapshot.latest_block?.tree_size ?? 0;
    // Transactions committed after the last block (say, before a crash) are sealed promptly.
    if (this.nextSeq > this.sealedSize) this.unsealedSince = 0;
    if (this.options.assert_invariants) assertInvariants(this.state);
  }

  /** Read access to committed state (balances the API reads come from storage instead). */
  get committed(): LedgerState {
    return this.state;
  }

  get logSize(): number {
    return this.nextSeq;
  }

  /** Tree size of the latest sealed block: transactions below it are covered by a signed block. */
  get sealedTreeSize(): number {
    return this.sealedSize;
  }

  /** Calls `listener` after every durable commit; returns the unsubscribe function. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Queues prepared transactions. Without `atomic` each is applied on its own; with it, all
   * succeed or none is applied. Resolves once the batch holding them is durable.
   */
  submit(group: readonly PreparedTransaction[], atomic: boolean): Promise<TxOutcome[]> {
    if (this.closed) {
      return Promise.resolve(
        group.map((p) => rejected(p.id, new WebWalletError('service_unavailable', { reason: 'ledger closed' }))),
      );
    }
    return new Promise((resolve) => {
      if (atomic) this.queue.push({ group, atomic, resolve });
      else {
        const outcomes: TxOutcome[] = new Array(group.length);
        let remaining = group.length;
        if (remaining === 0) resolve([]);
        group.forEach((p, i) => {
          this.queue.push({
            group: [p],
            atomic: false,
            resolve: ([outcome]) => {
              outcomes[i] = outcome!;
              if (--remaining === 0) resolve(outcomes);
            },
          });
        });
      }
      this.kick();
    });
  }

  /** Starts the loop if there is work: queued items, a block to seal, or a hold to expire. */
  private kick(): void {
    if (this.running || this.closed) return;
    const now = this.options.clock();
    if (this.queue.length === 0 && !this.sealDue(now) && !this.expiryDue(now)) {
      this.arm(); // woken early (a capped timer, or a clock that moved back): wait on
      return;
    }
    this.running = true;
    this.idle = this.loop();
  }

  /**
   * Sets a timer for the moment the next block or hold expiry is due, so a lone payment's block
   * is sealed block_interval_ms after its commit, not on the next tick of a coarse timer. The
   * timer is capped at a quarter interval and then re-armed: a clock that jumps (or a test's
   * manual clock) is noticed within that time. No work pending, no timer.
   */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.nextWake();
    if (wake === undefined || this.closed) return;
    const recheck = Math.max(10, Math.floor(this.options.block_interval_ms / 4));
    const delay = Math.min(Math.max(0, wake - this.options.clock()), recheck);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, delay);
    this.timer.unref();
  }

  /** When the next seal or hold expiry falls due (clock time), or undefined when none is pending. */
  private nextWake(): number | undefined {
    const seal =
      this.nextSeq > this.sealedSize && this.unsealedSince !== undefined
        ? this.unsealedSince + this.options.block_interval_ms
        : undefined;
    const expiry = this.expiries.peekKey();
    if (seal === undefined) return expiry;
    return expiry === undefined ? seal : Math.min(seal, expiry);
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        // Let pending I/O callbacks run first (verifier replies, HTTP requests): with SQLite the
        // commit is synchronous, so without this yield no other submission could join a batch.
        await new Promise((resolve) => setImmediate(resolve));
        const now = this.options.clock();
        if (this.queue.length === 0 && !this.sealDue(now) && !this.expiryDue(now)) {
          // Cleared before returning, so a submission arriving now starts a new loop at once.
          this.running = false;
          this.arm();
          return;
        }
        await this.runBatch(this.take(), now);
      }
    } catch (error) {
      this.running = false;
      this.arm();
      throw error;
    }
  }

  private take(): Item[] {
    // One splice per batch: shifting item by item would cost O(queue) per transaction.
    let n = 0;
    let count = 0;
    while (n < this.queue.length && count < this.options.batch_size_max) count += this.queue[n++]!.group.length;
    return this.queue.splice(0, n);
  }

  private sealDue(now: number): boolean {
    if (this.nextSeq === this.sealedSize || this.unsealedSince === undefined) return false;
    return (
      this.nextSeq - this.sealedSize >= this.options.block_transactions_max ||
      now - this.unsealedSince >= this.options.block_interval_ms
    );
  }

  private expiryDue(now: number): boolean {
    const next = this.expiries.peekKey();
    return next !== undefined && next <= now;
  }

  private async runBatch(items: Item[], now: number): Promise<void> {
    const ids = items.flatMap((item) => item.group.map((p) => p.id));
    const work: BatchWork = {
      now,
      overlay: new Overlay(this.state),
      frontier: this.frontier.clone(),
      seq: this.nextSeq,
      transactions: [],
      entries: [],
      nodes: [],
      accepted: new Map(),
      stored: ids.length > 0 ? await this.options.storage.findTransactionIds([...new Set(ids)]) : new Map(),
    };
    const due = this.popDueExpiries(now);
    for (const id of due) this.applyExpiry(work, id);
    const outcomes = items.map((item) =>
      item.atomic ? this.applyGroup(work, item.group) : [this.applyOne(work, item.group[0]!)],
    );
    const blocks: StoredBlock[] = [];
    const sealNow =
      work.seq > this.sealedSize &&
      (work.seq - this.sealedSize >= this.options.block_transactions_max ||
        now - (this.unsealedSince ?? now) >= this.options.block_interval_ms);
    const sealed = sealNow ? await this.seal(work) : undefined;
    if (sealed) blocks.push(sealed.stored);
    try {
      await this.options.storage.commit({
        transactions: work.transactions,
        accountEntries: work.entries,
        accounts: [...work.overlay.accounts.values()],
        currencies: [...work.overlay.currencies.values()],
        lines: [...work.overlay.lines.values()],
        holds: [...work.overlay.holds.values()],
        merkleNodes: work.nodes,
        blocks,
      });
    } catch (error) {
      // Nothing was acknowledged and memory is untouched: put the expiries back, report, go on.
      for (const id of due) this.expiries.push(this.state.hold(id)?.expires_at_ms ?? now, id);
      const failure = new WebWalletError('service_unavailable', {
        reason: 'storage commit failed; retry with the same ids',
      });
      console.error('ledger: commit failed', error);
      for (const item of items) item.resolve(item.group.map((p) => rejected(p.id, failure)));
      return;
    }
    this.afterCommit(work, sealed);
    for (const [i, item] of items.entries()) item.resolve(outcomes[i]!);
    this.notify(work.transactions);
  }

  private notify(transactions: readonly StoredTransaction[]): void {
    const event = { transactions, log_size: this.nextSeq, sealed_size: this.sealedSize };
    for (const listener of this.listeners) {
      // A listener's fault must not stop the writer: the commit is already durable.
      try {
        listener(event);
      } catch (error) {
        console.error('ledger: commit listener failed', error);
      }
    }
  }

  private afterCommit(work: BatchWork, sealed: { header: BlockHeader; hash: string } | undefined): void {
    work.overlay.foldInto(this.state);
    for (const hold of work.overlay.holds.values()) {
      if (hold.state === 'pending' && hold.seq >= this.nextSeq) this.expiries.push(hold.expires_at_ms, hold.id);
    }
    if (work.seq > this.nextSeq && this.unsealedSince === undefined) this.unsealedSince = work.now;
    this.nextSeq = work.seq;
    this.frontier = work.frontier;
    if (sealed) {
      this.lastBlock = sealed;
      this.sealedSize = sealed.header.tree_size;
      this.unsealedSince = this.nextSeq > this.sealedSize ? work.now : undefined;
    }
    if (this.options.assert_invariants) assertInvariants(this.state);
  }

  private popDueExpiries(now: number): string[] {
    const due: string[] = [];
    while (this.expiryDue(now)) due.push(this.expiries.pop()!.value);
    return due;
  }

  private applyExpiry(work: BatchWork, holdId: string): void {
    const hold: Hold | undefined = work.overlay.hold(holdId);
    if (hold?.state !== 'pending') return;
    const document = {
      type: 'ledger.transfer.expire',
      version: 1,
      body: { id: `sys:expire:${holdId}`, created_at: new Date(work.now).toISOString(), pending_id: holdId },
      signatures: [],
    };
    const prepared = unwrap(prepareTransaction(document, { allowSystem: true, nodeAuthorized: true }));
    const outcome = this.applyOne(work, prepared);
    if (outcome.status === 'rejected') throw new Error(`expiring hold ${holdId} failed: ${outcome.error.code}`);
  }

  /** Duplicate, conflict, or undefined when the id is new. */
  private checkId(work: BatchWork, p: PreparedTransaction): TxOutcome | undefined {
    const seen = work.accepted.get(p.id);
    const stored = seen ?? work.stored.get(p.id);
    if (!stored) return undefined;
    if (!bytesEqual(stored.hash, p.hash)) {
      return rejected(p.id, new WebWalletError('transaction_id_conflict', { id: p.id, existing_seq: stored.seq }));
    }
    return {
      status: 'accepted',
      id: p.id,
      document_id: p.documentId,
      seq: stored.seq,
      accepted_at_ms: stored.accepted_at_ms,
      duplicate: true,
    };
  }

  private applyOne(work: BatchWork, p: PreparedTransaction): TxOutcome {
    const known = this.checkId(work, p);
    if (known) return known;
    const overlay = new Overlay(work.overlay);
    const result = applyTransaction(overlay, p, { seq: work.seq, accepted_at_ms: work.now });
    if (!result.ok) return rejected(p.id, result.error);
    overlay.foldInto(work.overlay);
    return this.record(work, p, result.value.accounts);
  }

  private applyGroup(work: BatchWork, group: readonly PreparedTransaction[]): TxOutcome[] {
    if (new Set(group.map((p) => p.id)).size !== group.length) {
      return group.map((p) =>
        rejected(
          p.id,
          new WebWalletError('transaction_id_conflict', { id: p.id, reason: 'ids repeat within the group' }),
        ),
      );
    }
    const known = group.map((p) => this.checkId(work, p));
    if (known.every((k) => k?.status === 'accepted')) return known as TxOutcome[];
    const overlay = new Overlay(work.overlay);
    const planned: { p: PreparedTransaction; accounts: readonly string[] }[] = [];
    for (const [i, p] of group.entries()) {
      let failure = known[i];
      if (!failure) {
        const child = new Overlay(overlay);
        const result = applyTransaction(child, p, { seq: work.seq + planned.length, accepted_at_ms: work.now });
        if (result.ok) {
          child.foldInto(overlay);
          planned.push({ p, accounts: result.value.accounts });
          continue;
        }
        failure = rejected(p.id, result.error);
      }
      return group.map((q, j) => (j === i ? failure : groupRejected(q.id, p.id, failure)));
    }
    overlay.foldInto(work.overlay);
    return planned.map(({ p, accounts }) => this.record(work, p, accounts));
  }

  private record(work: BatchWork, p: PreparedTransaction, accounts: readonly string[]): TxOutcome {
    const seq = work.seq++;
    work.transactions.push({
      seq,
      id: p.id,
      hash: p.hash,
      type: p.tx.type,
      accepted_at_ms: work.now,
      node_authorized: p.nodeAuthorized,
      document_json: JSON.stringify(p.document),
    });
    for (const account of accounts) work.entries.push({ account, seq });
    work.frontier.append(p.hash, work.nodes);
    work.accepted.set(p.id, { seq, hash: p.hash, accepted_at_ms: work.now });
    return { status: 'accepted', id: p.id, document_id: p.documentId, seq, accepted_at_ms: work.now, duplicate: false };
  }

  private async seal(work: BatchWork): Promise<{ header: BlockHeader; hash: string; stored: StoredBlock }> {
    const header: BlockHeader = {
      height: this.lastBlock ? this.lastBlock.header.height + 1 : 0,
      previous: this.lastBlock?.hash ?? null,
      timestamp: new Date(work.now).toISOString(),
      tree_size: work.frontier.size,
      root: toHex(work.frontier.root()),
      node: this.options.nodeKey.publicKey,
    };
    const document = await createDocument(BLOCK_DOCUMENT_TYPE, 1, header, [this.options.nodeKey.keyPair]);
    const hash = documentHash(header);
    return {
      header,
      hash: toHex(hash),
      stored: {
        height: header.height,
        hash,
        tree_size: header.tree_size,
        timestamp_ms: work.now,
        document_json: JSON.stringify(document),
      },
    };
  }

  /** Stops taking work, lets the running batch finish. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle;
    for (const item of this.queue.splice(0)) {
      item.resolve(
        item.group.map((p) => rejected(p.id, new WebWalletError('service_unavailable', { reason: 'ledger closed' }))),
      );
    }
  }
}

function rejected(id: string, error: WebWalletError): TxOutcome {
  return { status: 'rejected', id, error };
}

function groupRejected(id: string, failedId: string, failure: TxOutcome): TxOutcome {
  const code = failure.status === 'rejected' ? failure.error.code : 'internal_error';
  return rejected(id, new WebWalletError('group_rejected', { failed_id: failedId, failed_code: code }));
}

function parseBlock(block: StoredBlock): LastBlock {
  const header = (JSON.parse(block.document_json) as { body: BlockHeader }).body;
  return { header, hash: toHex(block.hash) };
}
