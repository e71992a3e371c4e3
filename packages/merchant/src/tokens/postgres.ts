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
 * The part of a PostgreSQL client the registry uses: node-postgres' `Pool` (and `Client`) fit it.
 * The SDK does not import pg, so it stays dependency-free; a pool is best, as claims from
 * concurrent requests then run side by side.
 */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ readonly rows: readonly unknown[] }>;
}

export interface PostgresRedemptionRegistryOptions {
  /** Table holding the redemptions, created if absent: lowercase letters, digits and "_". Default: webwallet_redemptions. */
  readonly table?: string;
  /** Schema holding the table, created if absent. Default: the connection's search_path. */
  readonly schema?: string;
}

/**
 * Serializes creation across processes: concurrent CREATE SCHEMA / CREATE TABLE IF NOT EXISTS
 * still collide in the catalog (unique violation on pg_namespace or pg_type), which the test
 * "processes opening a new schema at once" shows. The bytes of "wwredeem" as an int8.
 */
const CREATE_LOCK_KEY = '8608474992543622509';

const COLUMNS = 'key, payer, payee, amount, currency, reference, audience, redeemed_at';

/**
 * Redemptions in a PostgreSQL table, shared by every process using the database: the primary key
 * makes `claim` first-wins, however many connections present the same token at once.
 *
 * `open` creates the schema and table only when they are missing, so a role with no CREATE
 * privilege works once they exist.
 *
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const redemptions = await PostgresRedemptionRegistry.open(pool, { schema: 'shop' });
 * if (await redemptions.claim(redemption)) deliver();
 */
export class PostgresRedemptionRegistry implements RedemptionRegistry {
  private constructor(
    private readonly pool: PostgresQueryable,
    private readonly table: string,
  ) {}

  static async open(
    pool: PostgresQueryable,
    options: PostgresRedemptionRegistryOptions = {},
  ): Promise<PostgresRedemptionRegistry> {
    const table = quotedIdentifier('table', options.table ?? REDEMPTION_TABLE_DEFAULT);
    const schema = options.schema === undefined ? undefined : quotedIdentifier('schema', options.schema);
    const qualified = schema === undefined ? table : `${schema}.${table}`;
    const present = await pool.query(
      'SELECT to_regnamespace($1) IS NOT NULL AS schema_present, to_regclass($2) IS NOT NULL AS table_present',
      [schema ?? null, qualified],
    );
    const row = present.rows[0] as { schema_present: boolean; table_present: boolean } | undefined;
    if (!row?.table_present) await create(pool, qualified, row?.schema_present ? undefined : schema);
    return new PostgresRedemptionRegistry(pool, qualified);
  }

  async claim(redemption: Redemption): Promise<boolean> {
    checkRedemptionKey(redemption.key);
    const r = redemption;
    const result = await this.pool.query(
      `INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [r.key, r.payer, r.payee, r.amount, r.currency, r.reference ?? null, r.audience, r.redeemed_at],
    );
    // A row comes back only from the insert that won; the others hit the key and did nothing.
    return result.rows.length === 1;
  }

  async release(key: string): Promise<void> {
    checkRedemptionKey(key);
    await this.pool.query(`DELETE FROM ${this.table} WHERE key = $1`, [key]);
  }

  async get(key: string): Promise<Redemption | undefined> {
    checkRedemptionKey(key);
    const result = await this.pool.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE key = $1`, [key]);
    const row = result.rows[0] as RedemptionRow | undefined;
    return row === undefined ? undefined : redemptionFromRow(row);
  }
}

/**
 * One query string without parameters is one implicit transaction in PostgreSQL's simple query
 * protocol, so the advisory lock is held until the table exists and released right after.
 */
async function create(pool: PostgresQueryable, table: string, schema: string | undefined): Promise<void> {
  // The CHECK repeats the key limit so a bug that skips checkKey cannot store an unbounded key.
  // "C" collation: keys compare as bytes, whatever the database's locale.
  await pool.query(`
    SELECT pg_advisory_xact_lock(${CREATE_LOCK_KEY});
    ${schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS ${schema};`}
    CREATE TABLE IF NOT EXISTS ${table} (
      key text COLLATE "C" PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND ${REDEMPTION_KEY_LENGTH_MAX}),
      payer text NOT NULL,
      payee text NOT NULL,
      amount text NOT NULL,
      currency text NOT NULL,
      reference text,
      audience text NOT NULL,
      redeemed_at text NOT NULL
    );
  `);
}
