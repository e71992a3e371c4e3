import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';
import type { Account, Currency, Hold, Line } from '../engine/state.js';
import { legsFromJson, legsToJson, policyFromJson, policyToJson, spentFromJson, spentToJson } from './codec.js';
import type {
  AccountRecord,
  CommitBatch,
  LedgerSnapshot,
  LedgerStorage,
  PageRequest,
  StoredBlock,
  StoredTransaction,
  TakenId,
} from './storage.js';

/**
 * Schema migrations, applied in order; never edit one that has shipped, add the next. CHECK constraints and unique keys repeat the ledger's rules as a second line
 * of defence: a bug in the sequencer fails the commit instead of storing an impossible state.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE transactions (
    seq INTEGER PRIMARY KEY CHECK (seq >= 0),
    id TEXT NOT NULL UNIQUE,
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    type TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    node_authorized INTEGER NOT NULL CHECK (node_authorized IN (0, 1)),
    document TEXT NOT NULL
  ) STRICT;
  CREATE TABLE account_entries (
    account TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES transactions (seq),
    PRIMARY KEY (account, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    keys TEXT NOT NULL,
    threshold INTEGER NOT NULL CHECK (threshold >= 0),
    custodial INTEGER NOT NULL CHECK (custodial IN (0, 1)),
    allow_rippling INTEGER NOT NULL CHECK (allow_rippling IN (0, 1)),
    created_seq INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE currencies (
    code TEXT PRIMARY KEY,
    scale INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 18),
    issuer TEXT NOT NULL REFERENCES accounts (id),
    max_supply INTEGER CHECK (max_supply > 0),
    transfer_fee_bps INTEGER NOT NULL CHECK (transfer_fee_bps BETWEEN 0 AND 1000),
    created_seq INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE lines (
    holder TEXT NOT NULL REFERENCES accounts (id),
    currency TEXT NOT NULL REFERENCES currencies (code),
    balance INTEGER NOT NULL,
    held INTEGER NOT NULL CHECK (held >= 0),
    trust_limit INTEGER NOT NULL CHECK (trust_limit >= 0),
    credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
    frozen INTEGER NOT NULL CHECK (frozen IN (0, 1)),
    PRIMARY KEY (holder, currency),
    CHECK (balance - held >= -credit_limit)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE holds (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    legs TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    hashlock TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
    closed_seq INTEGER
  ) STRICT;
  CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE blocks (
    height INTEGER PRIMARY KEY CHECK (height >= 0),
    hash BLOB NOT NULL UNIQUE,
    tree_size INTEGER NOT NULL UNIQUE,
    timestamp INTEGER NOT NULL,
    document TEXT NOT NULL
  ) STRICT;
  `,
  // 2: spending policies (ledger.account.update can change keys, threshold and policy in place).
  // Amounts inside the JSON are minor units as decimal strings; see storage/codec.ts.
  `
  ALTER TABLE accounts ADD COLUMN spending_policy TEXT CHECK (spending_policy IS NULL OR json_valid(spending_policy));
  ALTER TABLE accounts ADD COLUMN small_spent TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(small_spent));
  `,
];

export interface SqliteOptions {
  /** Database file path, or ':memory:'. */
  readonly path: string;
  readonly readonly?: boolean;
}

interface TxRow {
  seq: bigint;
  id: string;
  hash: Buffer;
  type: string;
  accepted_at: bigint;
  node_authorized: bigint;
  document: string;
}
interface BlockRow {
  height: bigint;
  hash: Buffer;
  tree_size: bigint;
  timestamp: bigint;
  document: string;
}
interface AccountRow {
  id: string;
  keys: string;
  threshold: bigint;
  custodial: bigint;
  allow_rippling: bigint;
  created_seq: bigint;
  /** Absent when a read-only handle opens a file from before migration 2. */
  spending_policy?: string | null;
  small_spent?: string;
}
interface CurrencyRow {
  code: string;
  scale: bigint;
  issuer: string;
  max_supply: bigint | null;
  transfer_fee_bps: bigint;
  created_seq: bigint;
}
interface LineRow {
  holder: string;
  currency: string;
  balance: bigint;
  held: bigint;
  trust_limit: bigint;
  credit_limit: bigint;
  frozen: bigint;
}
interface HoldRow {
  id: string;
  seq: bigint;
  legs: string;
  expires_at: bigint;
  hashlock: string | null;
  state: Hold['state'];
  closed_seq: bigint | null;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function toTransaction(r: TxRow): StoredTransaction {
  return {
    seq: Number(r.seq),
    id: r.id,
    hash: bytes(r.hash),
    type: r.type,
    accepted_at_ms: Number(r.accepted_at),
    node_authorized: r.node_authorized === 1n,
    document_json: r.document,
  };
}
function toBlock(r: BlockRow): StoredBlock {
  return {
    height: Number(r.height),
    hash: bytes(r.hash),
    tree_size: Number(r.tree_size),
    timestamp_ms: Number(r.timestamp),
    document_json: r.document,
  };
}
function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    keys: JSON.parse(r.keys) as string[],
    threshold: Number(r.threshold),
    custodial: r.custodial === 1n,
    allow_rippling: r.allow_rippling === 1n,
    created_seq: Number(r.created_seq),
    spending_policy: policyFromJson(r.spending_policy),
    small_spent: spentFromJson(r.small_spent),
  };
}
function toCurrency(r: CurrencyRow): Currency {
  return {
    code: r.code,
    scale: Number(r.scale),
    issuer: r.issuer,
    max_supply: r.max_supply,
    transfer_fee_bps: Number(r.transfer_fee_bps),
    created_seq: Number(r.created_seq),
  };
}
function toLine(r: LineRow): Line {
  return {
    holder: r.holder,
    currency: r.currency,
    balance: r.balance,
    held: r.held,
    limit: r.trust_limit,
    credit_limit: r.credit_limit,
    frozen: r.frozen === 1n,
  };
}
function toHold(r: HoldRow): Hold {
  return {
    id: r.id,
    seq: Number(r.seq),
    legs: legsFromJson(r.legs),
    expires_at_ms: Number(r.expires_at),
    hashlock: r.hashlock,
    state: r.state,
    closed_seq: r.closed_seq === null ? null : Number(r.closed_seq),
  };
}

/**
 * The embedded default engine: one SQLite file in the data directory, WAL journal with
 * synchronous=FULL so a commit that returned survives power loss (https://sqlite.org/wal.html).
 */
export class SqliteStorage implements LedgerStorage {
  readonly engine = 'sqlite' as const;
  private readonly db: Db;
  private readonly stmts: ReturnType<SqliteStorage['prepareStatements']>;
  private readonly commitTx: (batch: CommitBatch) => void;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    this.db = new Database(options.path, { readonly: options.readonly === true });
    this.db.defaultSafeIntegers(true);
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    }
    this.db.pragma('busy_timeout = 5000');
    this.stmts = this.prepareStatements();
    this.commitTx = this.db.transaction((batch: CommitBatch) => this.write(batch));
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
    const row = this.db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: bigint | null };
    const current = Number(row.v ?? 0n);
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
      })();
    }
  }

  private prepareStatements() {
    const db = this.db;
    return {
      insertTx: db.prepare(
        'INSERT INTO transactions (seq, id, hash, type, accepted_at, node_authorized, document) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertEntry: db.prepare('INSERT INTO account_entries (account, seq) VALUES (?, ?)'),
      upsertAccount: db.prepare(
        `INSERT INTO accounts (id, keys, threshold, custodial, allow_rippling, created_seq, spending_policy, small_spent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET keys = excluded.keys, threshold = excluded.threshold, allow_rippling = excluded.allow_rippling,
           spending_policy = excluded.spending_policy, small_spent = excluded.small_spent`,
      ),
      upsertCurrency: db.prepare(
        `INSERT INTO currencies (code, scale, issuer, max_supply, transfer_fee_bps, created_seq) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET transfer_fee_bps = excluded.transfer_fee_bps`,
      ),
      upsertLine: db.prepare(
        `INSERT INTO lines (holder, currency, balance, held, trust_limit, credit_limit, frozen) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (holder, currency) DO UPDATE SET balance = excluded.balance, held = excluded.held,
           trust_limit = excluded.trust_limit, credit_limit = excluded.credit_limit, frozen = excluded.frozen`,
      ),
      upsertHold: db.prepare(
        `INSERT INTO holds (id, seq, legs, expires_at, hashlock, state, closed_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, closed_seq = excluded.closed_seq`,
      ),
      insertNode: db.prepare('INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'),
      insertBlock: db.prepare(
        'INSERT INTO blocks (height, hash, tree_size, timestamp, document) VALUES (?, ?, ?, ?, ?)',
      ),
      txById: db.prepare('SELECT * FROM transactions WHERE id = ?'),
      idLookup: db.prepare('SELECT seq, hash, accepted_at FROM transactions WHERE id = ?'),
      txRange: db.prepare('SELECT * FROM transactions WHERE seq >= ? AND seq < ? ORDER BY seq'),
      hashRange: db.prepare('SELECT hash FROM transactions WHERE seq >= ? AND seq < ? ORDER BY seq').pluck(),
      node: db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?').pluck(),
      accountTxs: db.prepare(
        `SELECT t.* FROM account_entries e JOIN transactions t ON t.seq = e.seq
         WHERE e.account = ? AND e.seq < ? ORDER BY e.seq DESC LIMIT ?`,
      ),
      account: db.prepare('SELECT * FROM accounts WHERE id = ?'),
      accountLines: db.prepare('SELECT * FROM lines WHERE holder = ? ORDER BY currency'),
      // instr narrows to holds whose legs name the account; the exact check happens in getAccount.
      pendingHolds: db.prepare("SELECT * FROM holds WHERE state = 'pending' AND instr(legs, ?) > 0"),
      currencies: db.prepare('SELECT * FROM currencies WHERE code > ? ORDER BY code LIMIT ?'),
      block: db.prepare('SELECT * FROM blocks WHERE height = ?'),
      blockCovering: db.prepare('SELECT * FROM blocks WHERE tree_size > ? ORDER BY height LIMIT 1'),
      blockWithSize: db.prepare('SELECT * FROM blocks WHERE tree_size = ?'),
      blockRange: db.prepare('SELECT * FROM blocks WHERE height >= ? AND height < ? ORDER BY height'),
      latestBlock: db.prepare('SELECT * FROM blocks ORDER BY height DESC LIMIT 1'),
      logSize: db.prepare('SELECT coalesce(max(seq) + 1, 0) FROM transactions').pluck(),
    };
  }

  private write(batch: CommitBatch): void {
    const s = this.stmts;
    for (const t of batch.transactions) {
      s.insertTx.run(t.seq, t.id, t.hash, t.type, t.accepted_at_ms, t.node_authorized ? 1 : 0, t.document_json);
    }
    for (const e of batch.accountEntries) s.insertEntry.run(e.account, e.seq);
    for (const a of batch.accounts) {
      s.upsertAccount.run(
        a.id,
        JSON.stringify(a.keys),
        a.threshold,
        a.custodial ? 1 : 0,
        a.allow_rippling ? 1 : 0,
        a.created_seq,
        policyToJson(a.spending_policy),
        spentToJson(a.small_spent),
      );
    }
    for (const c of batch.currencies)
      s.upsertCurrency.run(c.code, c.scale, c.issuer, c.max_supply, c.transfer_fee_bps, c.created_seq);
    for (const l of batch.lines)
      s.upsertLine.run(l.holder, l.currency, l.balance, l.held, l.limit, l.credit_limit, l.frozen ? 1 : 0);
    for (const h of batch.holds)
      s.upsertHold.run(h.id, h.seq, legsToJson(h.legs), h.expires_at_ms, h.hashlock, h.state, h.closed_seq);
    for (const n of batch.merkleNodes) s.insertNode.run(n.level, n.index, n.hash);
    for (const b of batch.blocks) s.insertBlock.run(b.height, b.hash, b.tree_size, b.timestamp_ms, b.document_json);
  }

  async commit(batch: CommitBatch): Promise<void> {
    this.commitTx(batch);
  }

  async loadSnapshot(): Promise<LedgerSnapshot> {
    const latest = this.stmts.latestBlock.get() as BlockRow | undefined;
    return {
      accounts: (this.db.prepare('SELECT * FROM accounts').all() as AccountRow[]).map(toAccount),
      currencies: (this.db.prepare('SELECT * FROM currencies').all() as CurrencyRow[]).map(toCurrency),
      lines: (this.db.prepare('SELECT * FROM lines').all() as LineRow[]).map(toLine),
      holds: (this.db.prepare('SELECT * FROM holds').all() as HoldRow[]).map(toHold),
      log_size: Number(this.stmts.logSize.get() as bigint),
      latest_block: latest ? toBlock(latest) : undefined,
    };
  }

  async logSize(): Promise<number> {
    return Number(this.stmts.logSize.get() as bigint);
  }

  async findTransactionIds(ids: readonly string[]): Promise<Map<string, TakenId>> {
    const found = new Map<string, TakenId>();
    for (const id of ids) {
      const row = this.stmts.idLookup.get(id) as { seq: bigint; hash: Buffer; accepted_at: bigint } | undefined;
      if (row) found.set(id, { seq: Number(row.seq), hash: bytes(row.hash), accepted_at_ms: Number(row.accepted_at) });
    }
    return found;
  }

  async getTransaction(id: string): Promise<StoredTransaction | undefined> {
    const row = this.stmts.txById.get(id) as TxRow | undefined;
    return row ? toTransaction(row) : undefined;
  }

  async getTransactionRange(start: number, end: number): Promise<StoredTransaction[]> {
    return (this.stmts.txRange.all(start, end) as TxRow[]).map(toTransaction);
  }

  async transactionHashes(start: number, end: number): Promise<Uint8Array[]> {
    return (this.stmts.hashRange.all(start, end) as Buffer[]).map(bytes);
  }

  async merkleNode(level: number, index: number): Promise<Uint8Array | undefined> {
    const hash = this.stmts.node.get(level, index) as Buffer | undefined;
    return hash ? bytes(hash) : undefined;
  }

  async listAccountTransactions(account: string, page: PageRequest): Promise<StoredTransaction[]> {
    const before = page.after === undefined ? Number.MAX_SAFE_INTEGER : Number(page.after);
    return (this.stmts.accountTxs.all(account, before, page.limit) as TxRow[]).map(toTransaction);
  }

  async getAccount(id: string): Promise<AccountRecord | undefined> {
    const row = this.stmts.account.get(id) as AccountRow | undefined;
    if (!row) return undefined;
    const lines = (this.stmts.accountLines.all(id) as LineRow[]).map(toLine);
    const holds = (this.stmts.pendingHolds.all(`"${id}"`) as HoldRow[])
      .map(toHold)
      .filter((h) => h.legs.some((l) => l.from === id || l.to === id));
    return { account: toAccount(row), lines, pending_holds: holds };
  }

  async listCurrencies(page: PageRequest): Promise<Currency[]> {
    return (this.stmts.currencies.all(String(page.after ?? ''), page.limit) as CurrencyRow[]).map(toCurrency);
  }

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    const row = this.stmts.block.get(height) as BlockRow | undefined;
    return row ? toBlock(row) : undefined;
  }

  async latestBlock(): Promise<StoredBlock | undefined> {
    const row = this.stmts.latestBlock.get() as BlockRow | undefined;
    return row ? toBlock(row) : undefined;
  }

  async blockCovering(seq: number): Promise<StoredBlock | undefined> {
    const row = this.stmts.blockCovering.get(seq) as BlockRow | undefined;
    return row ? toBlock(row) : undefined;
  }

  async blockWithTreeSize(treeSize: number): Promise<StoredBlock | undefined> {
    const row = this.stmts.blockWithSize.get(treeSize) as BlockRow | undefined;
    return row ? toBlock(row) : undefined;
  }

  async getBlockRange(start: number, end: number): Promise<StoredBlock[]> {
    return (this.stmts.blockRange.all(start, end) as BlockRow[]).map(toBlock);
  }

  async allLines(): Promise<Line[]> {
    return (this.db.prepare('SELECT * FROM lines').all() as LineRow[]).map(toLine);
  }

  async allAccounts(): Promise<Account[]> {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(toAccount);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** For tests that prove audit catches tampering: run raw SQL against the file. */
  unsafeExec(sql: string): void {
    this.db.exec(sql);
  }
}
