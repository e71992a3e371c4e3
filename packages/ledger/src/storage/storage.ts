import type { MerkleNode, MerkleSource } from '../chain/merkle-log.js';
import type { Account, Currency, Hold, Line } from '../engine/state.js';

/** An accepted transaction as the Hashtable keeps it: immutable, addressed by its hash. */
export interface StoredTransaction {
  /** Position in the log, from 0; also its Merkle leaf index. */
  readonly seq: number;
  /** Client-chosen id. */
  readonly id: string;
  /** SHA-256 of the canonical body (the document id's bytes). */
  readonly hash: Uint8Array;
  readonly type: string;
  readonly accepted_at_ms: number;
  readonly node_authorized: boolean;
  /** The signed document exactly as accepted, as JSON. */
  readonly document_json: string;
}

export interface StoredBlock {
  readonly height: number;
  /** SHA-256 of the canonical header. */
  readonly hash: Uint8Array;
  readonly tree_size: number;
  readonly timestamp_ms: number;
  /** The signed block document as JSON. */
  readonly document_json: string;
}

/** Everything one group commit writes, in one database transaction. */
export interface CommitBatch {
  readonly transactions: readonly StoredTransaction[];
  /** (account, seq) pairs for per-account history. */
  readonly accountEntries: readonly { readonly account: string; readonly seq: number }[];
  readonly accounts: readonly Account[];
  readonly currencies: readonly Currency[];
  readonly lines: readonly Line[];
  readonly holds: readonly Hold[];
  readonly merkleNodes: readonly MerkleNode[];
  readonly blocks: readonly StoredBlock[];
}

/** What the single writer loads at start-up. */
export interface LedgerSnapshot {
  readonly accounts: Account[];
  readonly currencies: Currency[];
  readonly lines: Line[];
  readonly holds: Hold[];
  /** Number of transactions in the log. */
  readonly log_size: number;
  readonly latest_block: StoredBlock | undefined;
}

export interface AccountRecord {
  readonly account: Account;
  readonly lines: readonly Line[];
  readonly pending_holds: readonly Hold[];
}

export interface TakenId {
  readonly seq: number;
  readonly hash: Uint8Array;
  readonly accepted_at_ms: number;
}

/** A page of results ordered by a numeric key, newest first where it says so. */
export interface PageRequest {
  /** Exclusive bound from the previous page. */
  readonly after?: number | string | undefined;
  readonly limit: number;
}

/**
 * The one storage interface of the ledger. Engines store and fetch; all ledger logic lives above
 * them, so the SQLite and PostgreSQL engines behave identically and run the same test suite.
 * `commit` must be atomic and durable when it resolves.
 */
export interface LedgerStorage extends MerkleSource {
  readonly engine: 'sqlite' | 'postgres';
  loadSnapshot(): Promise<LedgerSnapshot>;
  /** Number of transactions in the log. */
  logSize(): Promise<number>;
  /** Which of these client ids are taken, with their document hash, seq and acceptance time. */
  findTransactionIds(ids: readonly string[]): Promise<Map<string, TakenId>>;
  commit(batch: CommitBatch): Promise<void>;
  getTransaction(id: string): Promise<StoredTransaction | undefined>;
  /** Transactions with seq in [start, end), in order: the log, for audit and replay. */
  getTransactionRange(start: number, end: number): Promise<StoredTransaction[]>;
  /** An account's transactions, newest first; `after` is a seq. */
  listAccountTransactions(account: string, page: PageRequest): Promise<StoredTransaction[]>;
  getAccount(id: string): Promise<AccountRecord | undefined>;
  /** Currencies by code; `after` is a code. */
  listCurrencies(page: PageRequest): Promise<Currency[]>;
  getBlock(height: number): Promise<StoredBlock | undefined>;
  latestBlock(): Promise<StoredBlock | undefined>;
  /** The first block whose tree covers `seq` (tree_size > seq). */
  blockCovering(seq: number): Promise<StoredBlock | undefined>;
  blockWithTreeSize(treeSize: number): Promise<StoredBlock | undefined>;
  /** Blocks by height in [start, end). */
  getBlockRange(start: number, end: number): Promise<StoredBlock[]>;
  /** Stored balances of every line, for audit. */
  allLines(): Promise<Line[]>;
  /** Every stored account with its keys, threshold and spending policy, by id, for audit. */
  allAccounts(): Promise<Account[]>;
  close(): Promise<void>;
}
