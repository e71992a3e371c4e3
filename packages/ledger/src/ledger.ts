import { availableParallelism } from 'node:os';
import {
  type BlockHeader,
  consistencyProofRanges,
  type ErrorBody,
  formatAmount,
  inclusionProofRanges,
  type KeyPair,
  type Receipt,
  type SignedBlock,
  type SignedDocument,
  toHex,
  WebWalletError,
} from '@webwallet/core';
import { subtreeHash } from './chain/merkle-log.js';
import { findInvariantViolations } from './engine/invariants.js';
import { policyToBody, windowSpent } from './engine/policy.js';
import type { Account, Currency, Hold, Line } from './engine/state.js';
import { type CommitListener, Sequencer, type TxOutcome } from './sequencer.js';
import type { LedgerStorage, PageRequest, StoredBlock, StoredTransaction } from './storage/storage.js';
import { VerifierPool } from './verify/pool.js';
import { type PreparedTransaction, toPrepared } from './verify/prepare.js';

export const LEDGER_DEFAULTS = {
  block_transactions_max: 10_000,
  // The node's default too (packages/server/src/config.ts): a receipt within ~200 ms.
  block_interval_ms: 200,
  batch_size_max: 8_192,
  verifier_threads: availableParallelism(),
} as const;

export interface LedgerOptions {
  readonly storage: LedgerStorage;
  /** The node's signing identity: it signs blocks. */
  readonly nodeKey: { readonly publicKey: string; readonly keyPair: KeyPair };
  readonly block_transactions_max?: number;
  readonly block_interval_ms?: number;
  readonly batch_size_max?: number;
  /** Threads that check signatures; 0 checks on the calling thread. */
  readonly verifier_threads?: number;
  /** Check every invariant after every batch (tests; WEBWALLET_ASSERT_INVARIANTS=1). */
  readonly assert_invariants?: boolean;
  readonly clock?: () => number;
}

export interface SubmitOptions {
  /** All documents succeed or none is applied. */
  readonly atomic?: boolean;
  /** The caller is the node's authenticated operator path: may act for custodial accounts. */
  readonly nodeAuthorized?: boolean;
}

export type SubmitResult =
  | {
      readonly status: 'accepted';
      readonly id: string;
      readonly document_id: string;
      readonly seq: number;
      readonly accepted_at: string;
      readonly duplicate: boolean;
    }
  | ({ readonly status: 'rejected'; readonly id: string | null } & ErrorBody);

export interface TransactionView {
  readonly id: string;
  readonly document_id: string;
  readonly seq: number;
  readonly type: string;
  readonly accepted_at: string;
  readonly node_authorized: boolean;
  readonly document: SignedDocument;
  /** Height of the first block covering it; null until sealed. */
  readonly block_height: number | null;
  readonly receipt: Receipt | null;
}

export interface BalanceView {
  readonly currency: string;
  readonly balance: string;
  readonly held: string;
  readonly available: string;
  readonly limit: string | null;
  readonly credit_limit: string;
  readonly frozen: boolean;
  readonly issuer: boolean;
}

/** A small-payment rule with how much of its window is used now. */
export interface SmallPaymentView {
  readonly currency: string;
  readonly amount_max: string;
  readonly threshold: number;
  readonly window_ms: number;
  readonly window_amount_max: string;
  /** Small payments inside the window ending now (slices may count up to window_ms/64 longer). */
  readonly window_spent: string;
}

export interface AccountView {
  readonly id: string;
  readonly keys: readonly string[];
  readonly threshold: number;
  readonly custodial: boolean;
  readonly allow_rippling: boolean;
  /** Fewer signatures for small payments; null when every debit needs `threshold`. */
  readonly spending_policy: { readonly small_payments: readonly SmallPaymentView[] } | null;
  readonly balances: readonly BalanceView[];
  readonly pending: readonly {
    readonly id: string;
    readonly expires_at: string;
    readonly hashlock: string | null;
    readonly legs: readonly { from: string; to: string; currency: string; amount: string; fee: string }[];
  }[];
}

export interface CurrencyView {
  readonly code: string;
  readonly scale: number;
  readonly issuer: string;
  readonly max_supply: string | null;
  readonly transfer_fee_bps: number;
  readonly circulating: string;
}

export interface BlockView {
  readonly height: number;
  readonly hash: string;
  readonly block: SignedBlock;
}

/**
 * The ledger: verifies documents on worker threads, orders and applies them on one sequencer,
 * stores them (Hashtable), keeps balances (Graphstore) and seals signed blocks (Blockstack).
 *
 * @example
 * const ledger = await Ledger.open({ storage: new SqliteStorage({ path: 'data/ledger.db' }), nodeKey });
 * const [result] = await ledger.submit([signedTransferDocument]);
 * if (result.status === 'accepted') console.log(await ledger.receipt(result.id));
 */
export class Ledger {
  private constructor(
    readonly storage: LedgerStorage,
    private readonly sequencer: Sequencer,
    private readonly pool: VerifierPool,
    private readonly clock: () => number,
    readonly nodePublicKey: string,
  ) {}

  static async open(options: LedgerOptions): Promise<Ledger> {
    const clock = options.clock ?? Date.now;
    const sequencer = await Sequencer.start({
      storage: options.storage,
      nodeKey: options.nodeKey,
      block_transactions_max: options.block_transactions_max ?? LEDGER_DEFAULTS.block_transactions_max,
      block_interval_ms: options.block_interval_ms ?? LEDGER_DEFAULTS.block_interval_ms,
      batch_size_max: options.batch_size_max ?? LEDGER_DEFAULTS.batch_size_max,
      assert_invariants: options.assert_invariants ?? process.env.WEBWALLET_ASSERT_INVARIANTS === '1',
      clock,
    });
    const pool = new VerifierPool(options.verifier_threads ?? LEDGER_DEFAULTS.verifier_threads);
    return new Ledger(options.storage, sequencer, pool, clock, options.nodeKey.publicKey);
  }

  /** Submits signed transaction documents; one result per document, in order. */
  async submit(documents: readonly unknown[], options: SubmitOptions = {}): Promise<SubmitResult[]> {
    const checks = await this.pool.check(documents, { now_ms: this.clock() });
    const nodeAuthorized = options.nodeAuthorized === true;
    const prepared: PreparedTransaction[] = [];
    const outcomes: (TxOutcome | undefined)[] = checks.map((check, i) => {
      if (!check.ok) return { status: 'rejected', id: clientId(documents[i]) ?? '', error: check.error };
      prepared.push(toPrepared(documents[i], check.value, nodeAuthorized));
      return undefined;
    });
    if (options.atomic && prepared.length !== documents.length) {
      const failedIndex = outcomes.findIndex((o) => o !== undefined);
      const failed = outcomes[failedIndex] as TxOutcome & { status: 'rejected' };
      return documents.map((d, i) =>
        i === failedIndex
          ? toResult(failed)
          : toResult({
              status: 'rejected',
              id: clientId(d) ?? '',
              error: new WebWalletError('group_rejected', {
                failed_index: failedIndex,
                failed_code: failed.error.code,
              }),
            }),
      );
    }
    const applied = await this.sequencer.submit(prepared, options.atomic === true);
    let next = 0;
    return outcomes.map((o) => toResult(o ?? applied[next++]!));
  }

  /** A transaction with its receipt once sealed. */
  async transaction(id: string): Promise<TransactionView | undefined> {
    const stored = await this.storage.getTransaction(id);
    if (!stored) return undefined;
    const block = await this.storage.blockCovering(stored.seq);
    return {
      id: stored.id,
      document_id: `doc_${Buffer.from(stored.hash).toString('base64url')}`,
      seq: stored.seq,
      type: stored.type,
      accepted_at: new Date(stored.accepted_at_ms).toISOString(),
      node_authorized: stored.node_authorized,
      document: JSON.parse(stored.document_json) as SignedDocument,
      block_height: block?.height ?? null,
      receipt: block ? await this.buildReceipt(stored, block) : null,
    };
  }

  async receipt(id: string): Promise<Receipt | undefined> {
    return (await this.transaction(id))?.receipt ?? undefined;
  }

  private async buildReceipt(tx: StoredTransaction, block: StoredBlock): Promise<Receipt> {
    return {
      version: 1,
      document: JSON.parse(tx.document_json) as SignedDocument,
      index: tx.seq,
      block: JSON.parse(block.document_json) as SignedBlock,
      proof: await this.proofHashes(inclusionProofRanges(tx.seq, block.tree_size)),
    };
  }

  private async proofHashes(ranges: readonly (readonly [number, number])[]): Promise<string[]> {
    const hashes: string[] = [];
    for (const [start, end] of ranges) hashes.push(toHex(await subtreeHash(this.storage, start, end)));
    return hashes;
  }

  /** Inclusion proof of a transaction in the tree of a sealed block (default: the latest). */
  async inclusionProof(
    id: string,
    treeSize?: number,
  ): Promise<{ index: number; tree_size: number; root: string; proof: string[] } | WebWalletError> {
    const tx = await this.storage.getTransaction(id);
    if (!tx) return new WebWalletError('transaction_not_found', { id });
    const block =
      treeSize === undefined ? await this.latestStoredBlock() : await this.storage.blockWithTreeSize(treeSize);
    if (!block || block.tree_size <= tx.seq) {
      return new WebWalletError('tree_size_invalid', {
        tree_size: treeSize ?? null,
        seq: tx.seq,
        reason: 'no sealed block covers the transaction at that size',
      });
    }
    const header = (JSON.parse(block.document_json) as SignedBlock).body;
    return {
      index: tx.seq,
      tree_size: block.tree_size,
      root: header.root,
      proof: await this.proofHashes(inclusionProofRanges(tx.seq, block.tree_size)),
    };
  }

  /** Consistency proof between two sealed blocks' trees. */
  async consistencyProof(
    from: number,
    to: number,
  ): Promise<{ from: number; to: number; proof: string[] } | WebWalletError> {
    const [a, b] = [await this.storage.blockWithTreeSize(from), await this.storage.blockWithTreeSize(to)];
    if ((from !== 0 && !a) || !b || from > to) {
      return new WebWalletError('tree_size_invalid', {
        from,
        to,
        reason: 'both must be tree sizes of sealed blocks, from <= to',
      });
    }
    return { from, to, proof: await this.proofHashes(consistencyProofRanges(from, to)) };
  }

  private async latestStoredBlock(): Promise<StoredBlock | undefined> {
    return this.storage.latestBlock();
  }

  async account(id: string): Promise<AccountView | undefined> {
    const record = await this.storage.getAccount(id);
    if (!record) return undefined;
    const { account } = record;
    return {
      id: account.id,
      keys: account.keys,
      threshold: account.threshold,
      custodial: account.custodial,
      allow_rippling: account.allow_rippling,
      spending_policy: this.policyView(account),
      balances: record.lines.map((line) => this.balanceView(line)),
      pending: record.pending_holds.map((hold) => this.holdView(hold)),
    };
  }

  private policyView(account: Account): AccountView['spending_policy'] {
    if (!account.spending_policy) return null;
    const now = this.clock();
    const body = policyToBody(account.spending_policy, (code) => this.scale(code));
    return {
      small_payments: body.small_payments.map((rule) => ({
        ...rule,
        window_spent: formatAmount(windowSpent(account, rule.currency, now), this.scale(rule.currency)),
      })),
    };
  }

  private scale(code: string): number {
    return this.sequencer.committed.currency(code)?.scale ?? 0;
  }

  private balanceView(line: Line): BalanceView {
    const scale = this.scale(line.currency);
    const issuer = this.sequencer.committed.currency(line.currency)?.issuer === line.holder;
    return {
      currency: line.currency,
      balance: formatAmount(line.balance, scale),
      held: formatAmount(line.held, scale),
      available: formatAmount(line.balance - line.held, scale),
      limit: issuer ? null : formatAmount(line.limit, scale),
      credit_limit: formatAmount(line.credit_limit, scale),
      frozen: line.frozen,
      issuer,
    };
  }

  private holdView(hold: Hold): AccountView['pending'][number] {
    return {
      id: hold.id,
      expires_at: new Date(hold.expires_at_ms).toISOString(),
      hashlock: hold.hashlock,
      legs: hold.legs.map((l) => ({
        ...l,
        amount: formatAmount(l.amount, this.scale(l.currency)),
        fee: formatAmount(l.fee, this.scale(l.currency)),
      })),
    };
  }

  async accountTransactions(id: string, page: PageRequest): Promise<TransactionView[]> {
    const rows = await this.storage.listAccountTransactions(id, page);
    return Promise.all(rows.map(async (row) => (await this.transaction(row.id))!));
  }

  async currencies(page: PageRequest): Promise<CurrencyView[]> {
    return (await this.storage.listCurrencies(page)).map((c) => this.currencyView(c));
  }

  private currencyView(c: Currency): CurrencyView {
    const issuerLine = this.sequencer.committed.line(c.issuer, c.code);
    return {
      code: c.code,
      scale: c.scale,
      issuer: c.issuer,
      max_supply: c.max_supply === null ? null : formatAmount(c.max_supply, c.scale),
      transfer_fee_bps: c.transfer_fee_bps,
      circulating: formatAmount(-(issuerLine?.balance ?? 0n), c.scale),
    };
  }

  async block(height: number): Promise<BlockView | undefined> {
    const block = await this.storage.getBlock(height);
    return block
      ? { height: block.height, hash: toHex(block.hash), block: JSON.parse(block.document_json) as SignedBlock }
      : undefined;
  }

  async latestBlock(): Promise<BlockView | undefined> {
    const latest = await this.storage.latestBlock();
    return latest
      ? { height: latest.height, hash: toHex(latest.hash), block: JSON.parse(latest.document_json) as SignedBlock }
      : undefined;
  }

  /** Every invariant violation in the committed state (empty when healthy); O(lines). */
  checkInvariants(): string[] {
    return findInvariantViolations(this.sequencer.committed);
  }

  get logSize(): number {
    return this.sequencer.logSize;
  }

  /** Tree size of the latest signed block: transactions with a lower seq are sealed. */
  get sealedSize(): number {
    return this.sequencer.sealedTreeSize;
  }

  /**
   * Hears every durable commit, in order, after it is acknowledged. Consumers that must not miss
   * one (the payment processor) keep their own cursor and catch up from `storage` on start.
   */
  onCommit(listener: CommitListener): () => void {
    return this.sequencer.onCommit(listener);
  }

  /** A currency from committed state, without touching storage. */
  currency(code: string): CurrencyView | undefined {
    const currency = this.sequencer.committed.currency(code);
    return currency ? this.currencyView(currency) : undefined;
  }

  /** Committed balance of one trust line in minor units, or undefined without a line. */
  lineBalance(holder: string, code: string): { balance: bigint; held: bigint } | undefined {
    const line = this.sequencer.committed.line(holder, code);
    return line ? { balance: line.balance, held: line.held } : undefined;
  }

  async close(): Promise<void> {
    await this.sequencer.close();
    await this.pool.close();
    await this.storage.close();
  }
}

function clientId(document: unknown): string | undefined {
  const id = (document as { body?: { id?: unknown } } | null)?.body?.id;
  return typeof id === 'string' ? id : undefined;
}

function toResult(outcome: TxOutcome): SubmitResult {
  if (outcome.status === 'accepted') {
    return {
      status: 'accepted',
      id: outcome.id,
      document_id: outcome.document_id,
      seq: outcome.seq,
      accepted_at: new Date(outcome.accepted_at_ms).toISOString(),
      duplicate: outcome.duplicate,
    };
  }
  return { status: 'rejected', id: outcome.id || null, ...outcome.error.toJSON() };
}

export type { BlockHeader };
