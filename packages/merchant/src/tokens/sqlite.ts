import {
  checkRedemptionKey,
  quotedIdentifier,
  REDEMPTION_KEY_LENGTH_MAX,
  REDEMPTION_TABLE_DEFAULT,
  type Redemption,
  type RedemptionRegistry,
  type RedemptionRow,
  redemptionFromRow,
} from './registry.js';

/**
 * The part of a SQLite connection the registry uses. better-sqlite3's `Database` fits it, and so
 * does Node's `DatabaseSync` (node:sqlite); the SDK imports neither, so it stays dependency-free.
 */
export interface SqliteDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
}

export interface SqliteStatement {
  run(...params: unknown[]): { readonly changes: number | bigint };
  get(...params: unknown[]): unknown;
}

export interface SqliteRedemptionRegistryOptions {
  /** Table holding the redemptions, created if absent: lowercase letters, digits and "_". Default: webwallet_redemptions. */
  readonly table?: string;
}

/**
 * Set on a connection whose busy timeout is 0 (node:sqlite's default), so a claim waits for
 * another connection's write instead of failing at once with SQLITE_BUSY. A claim holds the write
 * lock for one small insert, so 5 s of waiting means the database is stuck, not busy.
 */
export const SQLITE_BUSY_TIMEOUT_MS_DEFAULT = 5_000;

/**
 * Redemptions in a SQLite table, shared by every process that opens the same database file: the
 * primary key makes `claim` first-wins across connections.
 *
 * Pass the connection you already use. `open` creates the table and, if the connection has no busy
 * timeout, sets one ({@link SQLITE_BUSY_TIMEOUT_MS_DEFAULT}); it changes nothing else. When several
 * processes share the file, put it in WAL mode (`PRAGMA journal_mode = WAL`, once, it persists) so
 * readers and the writer do not block each other.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const db = new Database('shop.db');
 * db.pragma('journal_mode = WAL');
 * const redemptions = SqliteRedemptionRegistry.open(db);
 * if (await redemptions.claim(redemption)) deliver();
 */
export class SqliteRedemptionRegistry implements RedemptionRegistry {
  private constructor(
    private readonly insert: SqliteStatement,
    private readonly remove: SqliteStatement,
    private readonly select: SqliteStatement,
  ) {}

  static open(db: SqliteDatabase, options: SqliteRedemptionRegistryOptions = {}): SqliteRedemptionRegistry {
    const table = quotedIdentifier('table', options.table ?? REDEMPTION_TABLE_DEFAULT);
    if (busyTimeout(db) === 0) db.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS_DEFAULT}`);
    // The CHECK repeats the key limit so a bug that skips checkKey cannot store an unbounded key.
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
      key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND ${REDEMPTION_KEY_LENGTH_MAX}),
      payer TEXT NOT NULL,
      payee TEXT NOT NULL,
      amount TEXT NOT NULL,
      currency TEXT NOT NULL,
      reference TEXT,
      audience TEXT NOT NULL,
      redeemed_at TEXT NOT NULL
    ) STRICT, WITHOUT ROWID`);
    return new SqliteRedemptionRegistry(
      db.prepare(
        `INSERT INTO ${table} (key, payer, payee, amount, currency, reference, audience, redeemed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
      ),
      db.prepare(`DELETE FROM ${table} WHERE key = ?`),
      db.prepare(
        `SELECT key, payer, payee, amount, currency, reference, audience, redeemed_at FROM ${table} WHERE key = ?`,
      ),
    );
  }

  async claim(redemption: Redemption): Promise<boolean> {
    checkRedemptionKey(redemption.key);
    const r = redemption;
    const result = this.insert.run(
      r.key,
      r.payer,
      r.payee,
      r.amount,
      r.currency,
      r.reference ?? null,
      r.audience,
      r.redeemed_at,
    );
    // One row changed: this insert won. Zero: the key was already there (ON CONFLICT DO NOTHING).
    return Number(result.changes) === 1;
  }

  async release(key: string): Promise<void> {
    checkRedemptionKey(key);
    this.remove.run(key);
  }

  async get(key: string): Promise<Redemption | undefined> {
    checkRedemptionKey(key);
    const row = this.select.get(key) as RedemptionRow | undefined;
    return row === undefined ? undefined : redemptionFromRow(row);
  }
}

/** The connection's busy timeout in ms; PRAGMA busy_timeout answers one row with one column. */
function busyTimeout(db: SqliteDatabase): number {
  const row = db.prepare('PRAGMA busy_timeout').get() as Record<string, unknown> | undefined;
  return Number(Object.values(row ?? {})[0] ?? 0);
}
