import { createHash } from 'node:crypto';
import pg from 'pg';
import type { MerkleNode } from '../chain/merkle-log.js';
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
 * Schema migrations, applied in order (never edit one that has shipped): the SQLite schema in PostgreSQL types. Keys and ordered columns use the "C"
 * collation so ordering (currencies by code, lines by currency) is bytewise, as in SQLite,
 * whatever the database's locale. Signed documents stay TEXT and legs/keys are JSON (not JSONB)
 * so they come back byte for byte as written. The lines CHECK computes in numeric because bigint
 * arithmetic would overflow near 2^63 where SQLite's would not.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE transactions (
    seq BIGINT PRIMARY KEY CHECK (seq >= 0),
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    type TEXT NOT NULL,
    accepted_at BIGINT NOT NULL,
    node_authorized BOOLEAN NOT NULL,
    document TEXT NOT NULL
  );
  CREATE TABLE account_entries (
    account TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL REFERENCES transactions (seq),
    PRIMARY KEY (account, seq)
  );
  CREATE TABLE accounts (
    id TEXT COLLATE "C" PRIMARY KEY,
    keys JSON NOT NULL,
    threshold INTEGER NOT NULL CHECK (threshold >= 0),
    custodial BOOLEAN NOT NULL,
    allow_rippling BOOLEAN NOT NULL,
    created_seq BIGINT NOT NULL
  );
  CREATE TABLE currencies (
    code TEXT COLLATE "C" PRIMARY KEY,
    scale INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 18),
    issuer TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    max_supply BIGINT CHECK (max_supply > 0),
    transfer_fee_bps INTEGER NOT NULL CHECK (transfer_fee_bps BETWEEN 0 AND 1000),
    created_seq BIGINT NOT NULL
  );
  CREATE TABLE lines (
    holder TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    currency TEXT COLLATE "C" NOT NULL REFERENCES currencies (code),
    balance BIGINT NOT NULL,
    held BIGINT NOT NULL CHECK (held >= 0),
    trust_limit BIGINT NOT NULL CHECK (trust_limit >= 0),
    credit_limit BIGINT NOT NULL CHECK (credit_limit >= 0),
    frozen BOOLEAN NOT NULL,
    PRIMARY KEY (holder, currency),
    CHECK (balance::numeric - held::numeric >= -credit_limit::numeric)
  );
  CREATE TABLE holds (
    id TEXT COLLATE "C" PRIMARY KEY,
    seq BIGINT NOT NULL,
    legs JSON NOT NULL,
    expires_at BIGINT NOT NULL,
    hashlock TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
    closed_seq BIGINT
  );
  -- getAccount finds an account's pending holds by containment on the legs.
  CREATE INDEX holds_pending_legs ON holds USING gin ((legs::jsonb) jsonb_path_ops) WHERE state = 'pending';
  CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
  );
  CREATE TABLE blocks (
    height BIGINT PRIMARY KEY CHECK (height >= 0),
    hash BYTEA NOT NULL UNIQUE,
    tree_size BIGINT NOT NULL UNIQUE,
    timestamp BIGINT NOT NULL,
    document TEXT NOT NULL
  );
  `,
  // 2: spending policies (ledger.account.update can change keys, threshold and policy in place).
  // Amounts inside the JSON are minor units as decimal strings; see storage/codec.ts.
  `
  ALTER TABLE accounts ADD COLUMN spending_policy JSON, ADD COLUMN small_spent JSON NOT NULL DEFAULT '[]';
  `,
];

export interface PostgresOptions {
  /** libpq-style connection URL, e.g. postgres://user:pass@host:5432/db. */
  readonly url: string;
  /** PostgreSQL schema holding the tables; created if absent. Default: the role's current schema. */
  readonly schema?: string;
  readonly pool_size_max?: number;
  readonly readonly?: boolean;
}

// Explicit column lists: JSON columns come back as their stored text (parsed by legsFromJson and
// JSON.parse here), whatever JSON type parser the process has configured.
const TX_COLUMNS = 'seq, id, hash, type, accepted_at, node_authorized, document';
const TX_COLUMNS_T = 't.seq, t.id, t.hash, t.type, t.accepted_at, t.node_authorized, t.document';
const BLOCK_COLUMNS = 'height, hash, tree_size, timestamp, document';
const ACCOUNT_COLUMNS =
  'id, keys::text AS keys, threshold, custodial, allow_rippling, created_seq, spending_policy::text AS spending_policy, small_spent::text AS small_spent';
const CURRENCY_COLUMNS = 'code, scale, issuer, max_supply, transfer_fee_bps, created_seq';
const LINE_COLUMNS = 'holder, currency, balance, held, trust_limit, credit_limit, frozen';
const HOLD_COLUMNS = 'id, seq, legs::text AS legs, expires_at, hashlock, state, closed_seq';

/** BIGINT (int8) values arrive as decimal strings, see INT8_AS_STRING. */
interface TxRow {
  seq: string;
  id: string;
  hash: Buffer;
  type: string;
  accepted_at: string;
  node_authorized: boolean;
  document: string;
}
interface BlockRow {
  height: string;
  hash: Buffer;
  tree_size: string;
  timestamp: string;
  document: string;
}
interface AccountRow {
  id: string;
  keys: string;
  threshold: number;
  custodial: boolean;
  allow_rippling: boolean;
  created_seq: string;
  spending_policy: string | null;
  small_spent: string;
}
interface CurrencyRow {
  code: string;
  scale: number;
  issuer: string;
  max_supply: string | null;
  transfer_fee_bps: number;
  created_seq: string;
}
interface LineRow {
  holder: string;
  currency: string;
  balance: string;
  held: string;
  trust_limit: string;
  credit_limit: string;
  frozen: boolean;
}
interface HoldRow {
  id: string;
  seq: string;
  legs: string;
  expires_at: string;
  hashlock: string | null;
  state: Hold['state'];
  closed_seq: string | null;
}

/**
 * Per-pool type parsing: int8 stays a decimal string, so amounts reach BigInt() without passing
 * through a double, even if other code in the process changes pg's global int8 parser. Everything
 * else uses pg's parsers (bytea to Buffer, bool to boolean, int4 to number).
 */
const INT8_AS_STRING: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    oid === pg.types.builtins.INT8 ? (value: string) => value : pg.types.getTypeParser(oid, format),
};

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function toTransaction(r: TxRow): StoredTransaction {
  return {
    seq: Number(r.seq),
    id: r.id,
    hash: bytes(r.hash),
    type: r.type,
    accepted_at_ms: Number(r.accepted_at),
    node_authorized: r.node_authorized,
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
    threshold: r.threshold,
    custodial: r.custodial,
    allow_rippling: r.allow_rippling,
    created_seq: Number(r.created_seq),
    spending_policy: policyFromJson(r.spending_policy),
    small_spent: spentFromJson(r.small_spent),
  };
}
function toCurrency(r: CurrencyRow): Currency {
  return {
    code: r.code,
    scale: r.scale,
    issuer: r.issuer,
    max_supply: r.max_supply === null ? null : BigInt(r.max_supply),
    transfer_fee_bps: r.transfer_fee_bps,
    created_seq: Number(r.created_seq),
  };
}
function toLine(r: LineRow): Line {
  return {
    holder: r.holder,
    currency: r.currency,
    balance: BigInt(r.balance),
    held: BigInt(r.held),
    limit: BigInt(r.trust_limit),
    credit_limit: BigInt(r.credit_limit),
    frozen: r.frozen,
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

/** An integer bound for a BIGINT parameter, as a string so no value loses precision. */
const int8 = (n: number | bigint): string => BigInt(n).toString();
const int8OrNull = (n: number | bigint | null): string | null => (n === null ? null : int8(n));

/**
 * The bulk writes of one commit. Each is a single statement over column arrays (unnest), so a
 * batch of thousands of rows costs one round trip per table, not one per row. Upserts update the
 * same columns as the SQLite engine.
 */
const WRITES = {
  transactions: `INSERT INTO transactions (seq, id, hash, type, accepted_at, node_authorized, document)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[], $5::bigint[], $6::boolean[], $7::text[])`,
  accountEntries: `INSERT INTO account_entries (account, seq) SELECT * FROM unnest($1::text[], $2::bigint[])`,
  accounts: `INSERT INTO accounts (id, keys, threshold, custodial, allow_rippling, created_seq, spending_policy, small_spent)
    SELECT * FROM unnest($1::text[], $2::json[], $3::integer[], $4::boolean[], $5::boolean[], $6::bigint[], $7::json[], $8::json[])
    ON CONFLICT (id) DO UPDATE SET keys = excluded.keys, threshold = excluded.threshold, allow_rippling = excluded.allow_rippling,
      spending_policy = excluded.spending_policy, small_spent = excluded.small_spent`,
  currencies: `INSERT INTO currencies (code, scale, issuer, max_supply, transfer_fee_bps, created_seq)
    SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::bigint[], $5::integer[], $6::bigint[])
    ON CONFLICT (code) DO UPDATE SET transfer_fee_bps = excluded.transfer_fee_bps`,
  lines: `INSERT INTO lines (holder, currency, balance, held, trust_limit, credit_limit, frozen)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::boolean[])
    ON CONFLICT (holder, currency) DO UPDATE SET balance = excluded.balance, held = excluded.held,
      trust_limit = excluded.trust_limit, credit_limit = excluded.credit_limit, frozen = excluded.frozen`,
  holds: `INSERT INTO holds (id, seq, legs, expires_at, hashlock, state, closed_seq)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::json[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, closed_seq = excluded.closed_seq`,
  merkleNodes: `INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bytea[])`,
  blocks: `INSERT INTO blocks (height, hash, tree_size, timestamp, document)
    SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bigint[], $4::bigint[], $5::text[])`,
} as const;

/** One array per column, in statement parameter order. */
type Columns = unknown[][];

function columns<T>(rows: readonly T[], pick: (row: T) => unknown[]): Columns {
  const first = rows[0];
  const out: Columns = first === undefined ? [] : pick(first).map(() => new Array<unknown>(rows.length));
  rows.forEach((row, i) => {
    pick(row).forEach((value, c) => {
      out[c]![i] = value;
    });
  });
  return out;
}

/**
 * The last row for each key. ON CONFLICT DO UPDATE refuses to touch one row twice in a statement;
 * SQLite's row-by-row upserts let the last write win, so do the same.
 */
function lastPerKey<T>(rows: readonly T[], key: (row: T) => string): readonly T[] {
  if (rows.length < 2) return rows;
  const byKey = new Map<string, T>();
  for (const row of rows) byKey.set(key(row), row);
  return byKey.size === rows.length ? rows : [...byKey.values()];
}

const txColumns = (t: StoredTransaction): unknown[] => [
  int8(t.seq),
  t.id,
  t.hash,
  t.type,
  int8(t.accepted_at_ms),
  t.node_authorized,
  t.document_json,
];
const entryColumns = (e: CommitBatch['accountEntries'][number]): unknown[] => [e.account, int8(e.seq)];
const accountColumns = (a: Account): unknown[] => [
  a.id,
  JSON.stringify(a.keys),
  a.threshold,
  a.custodial,
  a.allow_rippling,
  int8(a.created_seq),
  policyToJson(a.spending_policy),
  spentToJson(a.small_spent),
];
const currencyColumns = (c: Currency): unknown[] => [
  c.code,
  c.scale,
  c.issuer,
  int8OrNull(c.max_supply),
  c.transfer_fee_bps,
  int8(c.created_seq),
];
const lineColumns = (l: Line): unknown[] => [
  l.holder,
  l.currency,
  int8(l.balance),
  int8(l.held),
  int8(l.limit),
  int8(l.credit_limit),
  l.frozen,
];
const holdColumns = (h: Hold): unknown[] => [
  h.id,
  int8(h.seq),
  legsToJson(h.legs),
  int8(h.expires_at_ms),
  h.hashlock,
  h.state,
  int8OrNull(h.closed_seq),
];
const nodeColumns = (n: MerkleNode): unknown[] => [n.level, int8(n.index), n.hash];
const blockColumns = (b: StoredBlock): unknown[] => [
  int8(b.height),
  b.hash,
  int8(b.tree_size),
  int8(b.timestamp_ms),
  b.document_json,
];

/** A statement with its column arrays, or nothing for no rows. */
function write<T>(sql: string, rows: readonly T[], pick: (row: T) => unknown[]): [string, Columns][] {
  return rows.length === 0 ? [] : [[sql, columns(rows, pick)]];
}

/** The statements of a batch in foreign-key order, skipping empty tables. */
function batchWrites(batch: CommitBatch): [string, Columns][] {
  return [
    ...write(WRITES.transactions, batch.transactions, txColumns),
    ...write(WRITES.accountEntries, batch.accountEntries, entryColumns),
    ...write(
      WRITES.accounts,
      lastPerKey(batch.accounts, (a) => a.id),
      accountColumns,
    ),
    ...write(
      WRITES.currencies,
      lastPerKey(batch.currencies, (c) => c.code),
      currencyColumns,
    ),
    ...write(
      WRITES.lines,
      lastPerKey(batch.lines, (l) => `${l.holder}\u0000${l.currency}`),
      lineColumns,
    ),
    ...write(
      WRITES.holds,
      lastPerKey(batch.holds, (h) => h.id),
      holdColumns,
    ),
    ...write(WRITES.merkleNodes, batch.merkleNodes, nodeColumns),
    ...write(WRITES.blocks, batch.blocks, blockColumns),
  ];
}

/** Runs `work` between BEGIN and COMMIT; rolls back and rethrows if anything fails. */
async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A failed ROLLBACK (connection gone) must not hide the error that caused it.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Borrows a pooled client. After an error it is destroyed, not returned: its ROLLBACK may have
 * failed too, and a connection left inside a transaction must never serve the next caller.
 */
async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await work(client);
    client.release();
    return result;
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/** A signed 64-bit advisory lock key for (purpose, schema), as a decimal string. */
function advisoryKey(purpose: 'writer' | 'migrate', schema: string): string {
  const digest = createHash('sha256').update(`webwallet-ledger\u0000${purpose}\u0000${schema}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/**
 * Server settings for every connection, as a libpq `options` string (split on spaces, backslash
 * escapes). search_path holds only our schema so no unqualified name can resolve elsewhere;
 * synchronous_commit=on because commit() promises durability whatever the server default is.
 */
function startupOptions(options: PostgresOptions): string {
  const settings: string[] = [];
  if (options.schema !== undefined) settings.push(`search_path=${pg.escapeIdentifier(options.schema)}`);
  settings.push(options.readonly === true ? 'default_transaction_read_only=on' : 'synchronous_commit=on');
  return settings.map((s) => `-c ${s.replace(/[\\\s]/g, '\\$&')}`).join(' ');
}

/**
 * Client configuration. pg lets a URL's own `options` parameter override `options` in the config,
 * so when the URL has one, ours are appended to it inside the URL. Other connection strings are
 * passed through untouched (pg accepts some that WHATWG URL does not).
 */
function clientConfig(options: PostgresOptions): pg.ClientConfig {
  const extra = startupOptions(options);
  if (!/[?&]options=/.test(options.url))
    return { connectionString: options.url, options: extra, types: INT8_AS_STRING };
  const url = new URL(options.url);
  url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} ${extra}`);
  return { connectionString: url.toString(), types: INT8_AS_STRING };
}

async function currentSchema(pool: pg.Pool): Promise<string> {
  const result = await pool.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  return result.rows[0]?.schema ?? '';
}

/** Creates the schema if asked, then applies missing migrations, serialized across processes. */
async function migrate(client: pg.ClientBase, schema: string | undefined, lockKey: string): Promise<void> {
  await inTransaction(client, async () => {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
    if (schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
      await client.query(`SET LOCAL search_path TO ${pg.escapeIdentifier(schema)}`);
    }
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const current = row.rows[0]?.v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${current} is newer than this WebWallet supports (${MIGRATIONS.length})`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v + 1]);
    }
  });
}

/** Where a read runs: the pool, or one client inside a snapshot transaction. */
type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** The session that holds the single-writer lock, and why it was lost if it was. */
interface WriterLock {
  readonly client: pg.Client;
  readonly key: string;
  lost: Error | undefined;
}

/**
 * Takes the single-writer advisory lock on a connection of its own, outside the pool: a session
 * lock lives as long as its connection, so that connection must never be handed to other work.
 */
async function takeWriterLock(config: pg.ClientConfig, schema: string): Promise<WriterLock> {
  const lock: WriterLock = {
    client: new pg.Client({ ...config, keepAlive: true }),
    key: advisoryKey('writer', schema),
    lost: undefined,
  };
  // Without a listener a dropped connection would crash the process; record it so commit refuses.
  lock.client.on('error', (error) => {
    lock.lost = error;
  });
  lock.client.on('end', () => {
    lock.lost ??= new Error('lock connection closed');
  });
  await lock.client.connect();
  try {
    const result = await lock.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      lock.key,
    ]);
    if (result.rows[0]?.locked !== true) {
      throw new Error(
        `another WebWallet node is already writing to this database (schema "${schema}"); only one writer may run at a time: stop it, or open read-only`,
      );
    }
    return lock;
  } catch (error) {
    await lock.client.end().catch(() => undefined);
    throw error;
  }
}

/**
 * The server engine: tables in one PostgreSQL schema, reached through a pg.Pool. One process
 * writes (a session advisory lock held for the storage's lifetime enforces it); each commit is
 * one database transaction of bulk statements, durable when it resolves (synchronous_commit=on).
 * Reads return exactly what the SQLite engine returns, so the two run the same test suite.
 */
export class PostgresStorage implements LedgerStorage {
  readonly engine = 'postgres' as const;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly writer: WriterLock | undefined,
    private readonly options: PostgresOptions,
  ) {}

  static async open(options: PostgresOptions): Promise<PostgresStorage> {
    if (options.schema === '') throw new Error('PostgresStorage: schema must not be empty');
    const config = clientConfig(options);
    const pool = new pg.Pool({ ...config, max: options.pool_size_max ?? 4 });
    // An idle pooled connection that drops emits 'error'; the pool discards it and the next
    // query reconnects. Without a listener Node would treat it as fatal.
    pool.on('error', () => undefined);
    let writer: WriterLock | undefined;
    try {
      if (options.readonly !== true) {
        const schema = options.schema ?? (await currentSchema(pool));
        writer = await takeWriterLock(config, schema);
        await withClient(pool, (client) => migrate(client, options.schema, advisoryKey('migrate', schema)));
      }
      return new PostgresStorage(pool, writer, options);
    } catch (error) {
      await writer?.client.end().catch(() => undefined);
      await pool.end();
      throw error;
    }
  }

  private async rows<R extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[],
    on: Queryable = this.pool,
  ): Promise<R[]> {
    return (await on.query<R>(sql, [...params])).rows;
  }

  private async row<R extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[],
    on: Queryable = this.pool,
  ): Promise<R | undefined> {
    return (await this.rows<R>(sql, params, on))[0];
  }

  /**
   * Several reads that must see one committed state, as SQLite's synchronous reads do: one
   * connection, one REPEATABLE READ snapshot, so a concurrent commit cannot land between them.
   */
  private async consistently<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withClient(this.pool, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await work(client);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  }

  async commit(batch: CommitBatch): Promise<void> {
    if (this.writer?.lost)
      throw new Error(
        `PostgresStorage: the single-writer lock was lost (${this.writer.lost.message}); reopen the storage`,
      );
    const writes = batchWrites(batch);
    if (writes.length === 0) return;
    await withClient(this.pool, (client) =>
      inTransaction(client, async () => {
        for (const [sql, params] of writes) await client.query(sql, params);
      }),
    );
  }

  async loadSnapshot(): Promise<LedgerSnapshot> {
    return this.consistently(async (c) => {
      // Ordered by key so the snapshot is deterministic (SQLite returns roughly insertion order).
      const accounts = await this.rows<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY id`, [], c);
      const currencies = await this.rows<CurrencyRow>(
        `SELECT ${CURRENCY_COLUMNS} FROM currencies ORDER BY code`,
        [],
        c,
      );
      const lines = await this.rows<LineRow>(`SELECT ${LINE_COLUMNS} FROM lines ORDER BY holder, currency`, [], c);
      const holds = await this.rows<HoldRow>(`SELECT ${HOLD_COLUMNS} FROM holds ORDER BY seq, id`, [], c);
      const size = await this.row<{ size: string }>(
        'SELECT coalesce(max(seq) + 1, 0) AS size FROM transactions',
        [],
        c,
      );
      const latest = await this.row<BlockRow>(
        `SELECT ${BLOCK_COLUMNS} FROM blocks ORDER BY height DESC LIMIT 1`,
        [],
        c,
      );
      return {
        accounts: accounts.map(toAccount),
        currencies: currencies.map(toCurrency),
        lines: lines.map(toLine),
        holds: holds.map(toHold),
        log_size: Number(size?.size ?? 0),
        latest_block: latest ? toBlock(latest) : undefined,
      };
    });
  }

  async findTransactionIds(ids: readonly string[]): Promise<Map<string, TakenId>> {
    const found = new Map<string, TakenId>();
    if (ids.length === 0) return found;
    const rows = await this.rows<{ id: string; seq: string; hash: Buffer; accepted_at: string }>(
      'SELECT id, seq, hash, accepted_at FROM transactions WHERE id = ANY($1::text[])',
      [ids],
    );
    for (const r of rows)
      found.set(r.id, { seq: Number(r.seq), hash: bytes(r.hash), accepted_at_ms: Number(r.accepted_at) });
    return found;
  }

  async getTransaction(id: string): Promise<StoredTransaction | undefined> {
    const row = await this.row<TxRow>(`SELECT ${TX_COLUMNS} FROM transactions WHERE id = $1`, [id]);
    return row ? toTransaction(row) : undefined;
  }

  async getTransactionRange(start: number, end: number): Promise<StoredTransaction[]> {
    const rows = await this.rows<TxRow>(
      `SELECT ${TX_COLUMNS} FROM transactions WHERE seq >= $1 AND seq < $2 ORDER BY seq`,
      [int8(start), int8(end)],
    );
    return rows.map(toTransaction);
  }

  async transactionHashes(start: number, end: number): Promise<Uint8Array[]> {
    const rows = await this.rows<{ hash: Buffer }>(
      'SELECT hash FROM transactions WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [int8(start), int8(end)],
    );
    return rows.map((r) => bytes(r.hash));
  }

  async merkleNode(level: number, index: number): Promise<Uint8Array | undefined> {
    const row = await this.row<{ hash: Buffer }>('SELECT hash FROM merkle_nodes WHERE level = $1 AND idx = $2', [
      level,
      int8(index),
    ]);
    return row ? bytes(row.hash) : undefined;
  }

  async listAccountTransactions(account: string, page: PageRequest): Promise<StoredTransaction[]> {
    const before = page.after === undefined ? Number.MAX_SAFE_INTEGER : Number(page.after);
    const rows = await this.rows<TxRow>(
      `SELECT ${TX_COLUMNS_T} FROM account_entries e JOIN transactions t ON t.seq = e.seq
       WHERE e.account = $1 AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3`,
      [account, int8(before), page.limit],
    );
    return rows.map(toTransaction);
  }

  async getAccount(id: string): Promise<AccountRecord | undefined> {
    return this.consistently(async (c) => {
      const account = await this.row<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1`, [id], c);
      if (!account) return undefined;
      const lines = await this.rows<LineRow>(
        `SELECT ${LINE_COLUMNS} FROM lines WHERE holder = $1 ORDER BY currency`,
        [id],
        c,
      );
      return { account: toAccount(account), lines: lines.map(toLine), pending_holds: await this.pendingHolds(id, c) };
    });
  }

  /** Pending holds with a leg from or to the account; containment is exact, no filter needed. */
  private async pendingHolds(account: string, on: Queryable): Promise<Hold[]> {
    const rows = await this.rows<HoldRow>(
      `SELECT ${HOLD_COLUMNS} FROM holds WHERE state = 'pending'
         AND (legs::jsonb @> jsonb_build_array(jsonb_build_object('from', $1::text))
           OR legs::jsonb @> jsonb_build_array(jsonb_build_object('to', $1::text)))
       ORDER BY seq, id`,
      [account],
      on,
    );
    return rows.map(toHold);
  }

  async listCurrencies(page: PageRequest): Promise<Currency[]> {
    const rows = await this.rows<CurrencyRow>(
      `SELECT ${CURRENCY_COLUMNS} FROM currencies WHERE code > $1 ORDER BY code LIMIT $2`,
      [String(page.after ?? ''), page.limit],
    );
    return rows.map(toCurrency);
  }

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    return this.block('WHERE height = $1', [int8(height)]);
  }

  async logSize(): Promise<number> {
    const row = await this.row<{ size: string }>('SELECT coalesce(max(seq) + 1, 0) AS size FROM transactions', []);
    return Number(row?.size ?? 0);
  }

  async latestBlock(): Promise<StoredBlock | undefined> {
    return this.block('ORDER BY height DESC LIMIT 1', []);
  }

  async blockCovering(seq: number): Promise<StoredBlock | undefined> {
    return this.block('WHERE tree_size > $1 ORDER BY height LIMIT 1', [int8(seq)]);
  }

  async blockWithTreeSize(treeSize: number): Promise<StoredBlock | undefined> {
    return this.block('WHERE tree_size = $1', [int8(treeSize)]);
  }

  private async block(where: string, params: readonly unknown[]): Promise<StoredBlock | undefined> {
    const row = await this.row<BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM blocks ${where}`, params);
    return row ? toBlock(row) : undefined;
  }

  async getBlockRange(start: number, end: number): Promise<StoredBlock[]> {
    const rows = await this.rows<BlockRow>(
      `SELECT ${BLOCK_COLUMNS} FROM blocks WHERE height >= $1 AND height < $2 ORDER BY height`,
      [int8(start), int8(end)],
    );
    return rows.map(toBlock);
  }

  async allAccounts(): Promise<Account[]> {
    return (await this.rows<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY id`, [])).map(toAccount);
  }

  async allLines(): Promise<Line[]> {
    // Primary-key order, which is what SQLite's WITHOUT ROWID table returns.
    return (await this.rows<LineRow>(`SELECT ${LINE_COLUMNS} FROM lines ORDER BY holder, currency`, [])).map(toLine);
  }

  async close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const writer = this.writer;
    if (writer) {
      // Ending the session releases the lock anyway; unlocking first makes the hand-over explicit.
      await writer.client.query('SELECT pg_advisory_unlock($1::bigint)', [writer.key]).catch(() => undefined);
      await writer.client.end().catch(() => undefined);
    }
    await this.pool.end();
  }

  /**
   * Drops the schema and everything in it, for test cleanup. Uses a connection of its own, so it
   * works on a read-only or closed storage.
   */
  async dropSchema(): Promise<void> {
    const schema = this.options.schema;
    if (schema === undefined)
      throw new Error('PostgresStorage: dropSchema needs the schema option (refusing to drop the default schema)');
    const client = new pg.Client(clientConfig({ url: this.options.url }));
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    } finally {
      await client.end();
    }
  }

  /** For tests that prove audit catches tampering: run raw SQL in the storage's schema. */
  async unsafeExec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }
}
