import pg from 'pg';
import { retryOnConflict, type SqlDb, type SqlExecutor, type SqlValue } from './sql.js';

const INT8_OID = 20;
const POOL_SIZE = 10;

/** `?` placeholders to PostgreSQL's `$n`; the SQL is ours, so no `?` appears inside literals. */
const converted = new Map<string, string>();
function toPg(sql: string): string {
  let text = converted.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    converted.set(sql, text);
  }
  return text;
}

class Client implements SqlExecutor {
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.client.query(toPg(sql), params as SqlValue[])).rows as T[];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.client.query(toPg(sql), params as SqlValue[])).rowCount ?? 0;
  }
}

/** PostgreSQL engine: a small pool, tables in their own schema, BIGINT read back as number. */
export class PostgresDb implements SqlDb {
  readonly engine = 'postgres';
  private readonly reads: Client;

  private constructor(private readonly pool: pg.Pool) {
    this.reads = new Client(pool);
  }

  static async open(url: string, schema: string): Promise<PostgresDb> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`invalid PostgreSQL schema name: ${schema}`);
    const pool = new pg.Pool({
      connectionString: url,
      max: POOL_SIZE,
      options: `-c search_path=${schema}`,
      types: {
        // Times are ms since 1970 and counters are small: numbers are exact for them.
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as never,
      },
    });
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    return new PostgresDb(pool);
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.reads.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.reads.get<T>(sql, params);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return retryOnConflict(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const value = await fn(new Client(client));
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
