/** A value bound to a `?` placeholder. Amounts travel as text of minor units, times as ms numbers. */
export type SqlValue = string | number | null;

/** Statements against one engine; SQL is written once with `?` placeholders for both engines. */
export interface SqlExecutor {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a write; resolves to the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/**
 * The processor's one storage interface, with an SQLite and a PostgreSQL engine. Reads on the
 * database itself see committed data; writes go through `transaction`, which is atomic and
 * durable when it resolves. A transaction function must only await its executor (no network,
 * no ledger): the SQLite engine runs concurrent transactions one after another inside a shared
 * group commit.
 */
export interface SqlDb {
  readonly engine: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs `fn` atomically; retried from the start (up to 5 times) when it throws `WriteConflict`. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Thrown by optimistic updates (`... WHERE version = ?` changed no row): another transaction
 * won the race, so the whole transaction is rerun against the new state.
 */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

export const CONFLICT_RETRIES_MAX = 5;

/** Runs `attempt` again while it fails with WriteConflict, at most CONFLICT_RETRIES_MAX times. */
export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof WriteConflict) || i >= CONFLICT_RETRIES_MAX) throw error;
    }
  }
}
