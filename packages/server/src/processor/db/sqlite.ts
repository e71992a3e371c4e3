import Database from 'better-sqlite3';
import { retryOnConflict, type SqlDb, type SqlExecutor, type SqlValue } from './sql.js';

/** Most transactions one group commit takes; bounds the latency of the first in the batch. */
const GROUP_SIZE_MAX = 2_048;

type Statement = Database.Statement<unknown[], unknown>;

class Connection implements SqlExecutor {
  private readonly statements = new Map<string, Statement>();
  constructor(readonly db: Database.Database) {}

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.prepare(sql).all(...params) as T[];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.prepare(sql).run(...params).changes;
  }
}

interface Pending {
  readonly fn: (tx: SqlExecutor) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Embedded engine: one writer connection, one reader (WAL lets it see the last commit while a
 * batch is open). Concurrent transactions are group-committed: each runs in its own savepoint,
 * the batch commits (one fsync) and only then does any of them resolve.
 */
export class SqliteDb implements SqlDb {
  readonly engine = 'sqlite';
  private readonly writer: Connection;
  private readonly reader: Connection;
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(path: string) {
    const writer = new Database(path);
    writer.pragma('journal_mode = WAL');
    writer.pragma('synchronous = FULL');
    writer.pragma('busy_timeout = 5000');
    writer.pragma('foreign_keys = ON');
    this.writer = new Connection(writer);
    const reader = new Database(path, { readonly: true });
    reader.pragma('busy_timeout = 5000');
    this.reader = new Connection(reader);
  }

  /** Runs DDL outside the group commit (start-up only). */
  exec(sql: string): void {
    this.writer.db.exec(sql);
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.reader.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.reader.get<T>(sql, params);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return retryOnConflict(
      () =>
        new Promise<T>((resolve, reject) => {
          this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
          if (!this.draining) {
            this.draining = true;
            // Let other requests of this tick join the batch.
            setImmediate(() => void this.drain());
          }
        }),
    );
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.commitBatch(this.queue.splice(0, GROUP_SIZE_MAX));
    this.draining = false;
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    const db = this.writer.db;
    const settled: (() => void)[] = [];
    db.exec('BEGIN IMMEDIATE');
    for (const item of batch) {
      db.exec('SAVEPOINT tx');
      try {
        const value = await item.fn(this.writer);
        db.exec('RELEASE tx');
        settled.push(() => item.resolve(value));
      } catch (error) {
        db.exec('ROLLBACK TO tx');
        db.exec('RELEASE tx');
        settled.push(() => item.reject(error));
      }
    }
    try {
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      for (const item of batch) item.reject(error);
      return;
    }
    for (const settle of settled) settle();
  }

  async close(): Promise<void> {
    while (this.draining) await new Promise((resolve) => setImmediate(resolve));
    this.reader.db.close();
    this.writer.db.close();
  }
}
