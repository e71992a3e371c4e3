// (d): the naive design on the same database, for comparison. One SQL transaction per transfer:
// lock both balance rows, check, update both, insert a transfer row, commit (durably). Concurrent
// clients, a closed loop each. Tables live in a schema / file of their own, dropped afterwards.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import pg from 'pg';
import { percentile, round, suffix } from './util.mjs';
import { pairs } from './workload.mjs';

const BALANCE = 100_000_000; // minor units per account
/**
 * Measurement starts after a warm-up of this share of the run, at least WARMUP_MS_MIN: right after
 * the bulk load every first change of a page also writes a full-page image to the WAL.
 */
const WARMUP_SHARE = 0.2;
const WARMUP_MS_MIN = 500;
const warmupMs = (seconds) => Math.max(WARMUP_MS_MIN, seconds * 1000 * WARMUP_SHARE);

const holder = (i) => `h${String(i).padStart(5, '0')}`;

function summarize({ engine, distribution, clients, windowSeconds, latencies, retries, note }) {
  return {
    engine,
    distribution,
    clients,
    transfers: latencies.length,
    seconds: round(windowSeconds, 3),
    tps: Math.round(latencies.length / windowSeconds),
    p50_ms: round(percentile(latencies, 50), 2),
    p99_ms: round(percentile(latencies, 99), 2),
    retries,
    note,
  };
}

/** PostgreSQL: SELECT … FOR UPDATE on both rows (in key order, so no deadlocks), 1 pool connection per client. */
export async function postgresBaseline({ url, profile, distribution, seconds, clients }) {
  const schema = `bench_naive_${suffix()}`;
  const config = { connectionString: url, options: `-c search_path=${schema} -c synchronous_commit=on` };
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const pool = new pg.Pool({ ...config, max: clients });
  pool.on('error', () => undefined);
  try {
    const s = pg.escapeIdentifier(schema);
    await admin.query(`CREATE SCHEMA ${s}`);
    await admin.query(
      `CREATE TABLE ${s}.balances (account TEXT PRIMARY KEY, balance BIGINT NOT NULL CHECK (balance >= 0))`,
    );
    await admin.query(`CREATE TABLE ${s}.transfers (id BIGSERIAL PRIMARY KEY, from_account TEXT NOT NULL,
      to_account TEXT NOT NULL, amount BIGINT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    await admin.query(
      `INSERT INTO ${s}.balances SELECT 'h' || lpad(g::text, 5, '0'), $1 FROM generate_series(0, $2 - 1) g`,
      [BALANCE, profile.accounts],
    );
    await admin.query(`ANALYZE ${s}.balances`);

    const transfer = async (conn, a, b, amount) => {
      await conn.query('BEGIN');
      const rows = await conn.query({
        name: 'lock',
        text: 'SELECT account, balance FROM balances WHERE account = ANY($1::text[]) ORDER BY account FOR UPDATE',
        values: [[a, b]],
      });
      const payer = rows.rows.find((r) => r.account === a);
      if (!payer || BigInt(payer.balance) < BigInt(amount)) throw new Error('insufficient funds');
      await conn.query({
        name: 'debit',
        text: 'UPDATE balances SET balance = balance - $2 WHERE account = $1',
        values: [a, amount],
      });
      await conn.query({
        name: 'credit',
        text: 'UPDATE balances SET balance = balance + $2 WHERE account = $1',
        values: [b, amount],
      });
      await conn.query({
        name: 'record',
        text: 'INSERT INTO transfers (from_account, to_account, amount) VALUES ($1, $2, $3)',
        values: [a, b, amount],
      });
      await conn.query('COMMIT');
    };
    // Every client connects and runs one transfer (preparing its statements) before the clock starts.
    const conns = await Promise.all(Array.from({ length: clients }, () => pool.connect()));
    try {
      await Promise.all(conns.map((conn, c) => transfer(conn, holder(c), holder(c + clients), 1)));
    } catch (error) {
      for (const conn of conns) conn.release(true);
      throw error;
    }
    const started = Date.now();
    const measureFrom = started + warmupMs(seconds);
    const end = measureFrom + seconds * 1000;
    const latencies = [];
    let retries = 0;
    const client = async (c) => {
      const conn = conns[c];
      const { from, to } = pairs(200_000, distribution, profile, 1000 + c);
      try {
        for (let i = 0; Date.now() < end; i = (i + 1) % from.length) {
          const t0 = performance.now();
          const begun = Date.now();
          try {
            await transfer(conn, holder(from[i]), holder(to[i]), 1 + (i % 999));
            if (begun >= measureFrom) latencies.push(performance.now() - t0);
          } catch (error) {
            await conn.query('ROLLBACK').catch(() => undefined);
            if (error.code === '40P01' || error.code === '40001') retries++;
            else throw error;
          }
        }
      } finally {
        conn.release();
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    return summarize({
      engine: 'postgres',
      distribution,
      clients,
      windowSeconds: (Date.now() - measureFrom) / 1000,
      latencies,
      retries,
      note: 'BEGIN; SELECT … FOR UPDATE (2 rows, key order); UPDATE ×2; INSERT; COMMIT (synchronous_commit=on)',
    });
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`).catch(() => undefined);
    await admin.end();
  }
}

/**
 * SQLite has no SELECT … FOR UPDATE: a writer takes the database's single write lock with BEGIN
 * IMMEDIATE instead. One connection per client, each on its own thread (better-sqlite3 is
 * synchronous), WAL with synchronous=FULL as the ledger uses, busy_timeout to queue for the lock.
 */
export async function sqliteBaseline({ dir, profile, distribution, seconds, clients }) {
  const path = join(dir, `naive-${suffix()}.db`);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE balances (account TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0)) STRICT;
      CREATE TABLE transfers (id INTEGER PRIMARY KEY, from_account TEXT NOT NULL, to_account TEXT NOT NULL,
        amount INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;`);
    const insert = db.prepare('INSERT INTO balances (account, balance) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < profile.accounts; i++) insert.run(holder(i), BALANCE);
    })();
  } finally {
    db.close();
  }
  const started = Date.now() + 300; // after the threads have opened their connections
  const measureFrom = started + warmupMs(seconds);
  const end = measureFrom + seconds * 1000;
  try {
    const results = await Promise.all(
      Array.from({ length: clients }, (_, c) => {
        const { from, to } = pairs(100_000, distribution, profile, 1000 + c);
        const worker = new Worker(new URL('./baseline-sqlite-worker.mjs', import.meta.url), {
          workerData: { path, from, to, started, measureFrom, end },
        });
        return new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
      }),
    );
    return summarize({
      engine: 'sqlite',
      distribution,
      clients,
      windowSeconds: (end - measureFrom) / 1000,
      latencies: results.flatMap((r) => r.latencies),
      retries: results.reduce((sum, r) => sum + r.retries, 0),
      note: 'no FOR UPDATE in SQLite: BEGIN IMMEDIATE (database write lock); SELECT 2 rows; UPDATE ×2; INSERT; COMMIT (WAL, synchronous=FULL), one connection per client thread',
    });
  } finally {
    for (const ext of ['', '-wal', '-shm']) rmSync(`${path}${ext}`, { force: true });
  }
}
