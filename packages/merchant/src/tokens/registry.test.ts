import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresRedemptionRegistry } from './postgres.js';
import {
  MemoryRedemptionRegistry,
  REDEMPTION_KEY_LENGTH_MAX,
  type Redemption,
  type RedemptionRegistry,
} from './registry.js';
import type { ContentionJob, ContentionResult } from './registry.test.worker.js';
import { SQLITE_BUSY_TIMEOUT_MS_DEFAULT, SqliteRedemptionRegistry } from './sqlite.js';

// One suite, run against each registry on its real engine (DESIGN.md §4). The property that
// matters is first-wins: of many concurrent presentations of one token, exactly one claim is true.

/** A registry on a fresh, empty store. */
interface Store {
  readonly registry: RedemptionRegistry;
  /** A registry on a new connection to the same data. */
  reopen(): Promise<RedemptionRegistry>;
  /** A registry on the same database with these options (table names are checked). */
  open(options: { table?: string; schema?: string }): Promise<RedemptionRegistry>;
  /**
   * Presents each redemption `presentations_per_key` times at once, every presentation a claim of
   * its own (reference `presentation-<i>`), all keys at the same time; answers, per key, the
   * presentations whose claim returned true.
   */
  present(redemptions: readonly Redemption[], presentations_per_key: number): Promise<number[][]>;
  cleanup(): Promise<void>;
}

interface Engine {
  readonly name: 'memory' | 'sqlite' | 'postgres';
  /** Why the engine cannot run here, if it cannot. */
  readonly unavailable?: string;
  /** Redemptions outlive the registry object, tables are named, keys are length-checked. */
  readonly durable: boolean;
  create(): Promise<Store>;
}

/** Presents through one registry with Promise.all: concurrent wherever the registry's I/O is. */
async function presentInProcess(
  registry: RedemptionRegistry,
  redemptions: readonly Redemption[],
  presentations_per_key: number,
): Promise<number[][]> {
  return Promise.all(
    redemptions.map(async (template) => {
      const claims = Array.from({ length: presentations_per_key }, (_, i) =>
        registry.claim({ ...template, reference: `presentation-${i}` }),
      );
      const results = await Promise.all(claims);
      return results.flatMap((won, i) => (won ? [i] : []));
    }),
  );
}

const memory: Engine = {
  name: 'memory',
  durable: false,
  async create() {
    const registry = new MemoryRedemptionRegistry();
    return {
      registry,
      reopen: async () => assert.fail('the memory registry has nothing to reopen'),
      open: async () => assert.fail('the memory registry has no tables'),
      present: (redemptions, n) => presentInProcess(registry, redemptions, n),
      cleanup: async () => {},
    };
  },
};

const SQLITE_WORKERS = 4;

/**
 * Real contention on SQLite needs several connections: one worker thread per connection, all
 * released on each key at the same moment by a shared-memory barrier.
 */
async function presentFromWorkers(
  path: string,
  redemptions: readonly Redemption[],
  presentations_per_key: number,
): Promise<number[][]> {
  const barrier = new SharedArrayBuffer(4 * redemptions.length);
  const results = await Promise.all(
    Array.from({ length: SQLITE_WORKERS }, (_, worker) =>
      runWorker({ path, redemptions, worker, workers: SQLITE_WORKERS, presentations_per_key, barrier }),
    ),
  );
  assert.deepEqual(
    results.flatMap((r) => r.errors),
    [],
    'no claim may fail, SQLITE_BUSY included',
  );
  return redemptions.map((_, key) => results.flatMap((r) => r.won[key] ?? []).sort((a, b) => a - b));
}

/** The worker's answer; it closes its connection before answering. */
function runWorker(job: ContentionJob): Promise<ContentionResult> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL('./registry.test.worker.js', import.meta.url), { workerData: job });
    thread.once('message', resolve);
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`worker ${job.worker} exited with code ${code} before answering`)));
  });
}

const sqlite: Engine = {
  name: 'sqlite',
  durable: true,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'ww-redemptions-'));
    const path = join(dir, 'shop.db');
    const connections: Database.Database[] = [];
    const connect = () => {
      const db = new Database(path);
      connections.push(db);
      return db;
    };
    const db = connect();
    db.pragma('journal_mode = WAL');
    return {
      registry: SqliteRedemptionRegistry.open(db),
      reopen: async () => SqliteRedemptionRegistry.open(connect()),
      open: async (options) => SqliteRedemptionRegistry.open(db, options),
      present: (redemptions, n) => presentFromWorkers(path, redemptions, n),
      cleanup: async () => {
        for (const connection of connections) connection.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgresUrl = process.env.WEBWALLET_TEST_DATABASE_URL;
/** Fewer connections than concurrent claims, as in a busy server: claims queue for connections. */
const POOL_CONNECTIONS_MAX = 20;

const postgres: Engine = {
  name: 'postgres',
  durable: true,
  ...(postgresUrl
    ? {}
    : { unavailable: 'WEBWALLET_TEST_DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it)' }),
  async create() {
    const schema = `test_redemptions_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const pools: pg.Pool[] = [];
    const connect = () => {
      const pool = new pg.Pool({ connectionString: postgresUrl, max: POOL_CONNECTIONS_MAX });
      pools.push(pool);
      return pool;
    };
    const pool = connect();
    const registry = await PostgresRedemptionRegistry.open(pool, { schema });
    return {
      registry,
      reopen: () => PostgresRedemptionRegistry.open(connect(), { schema }),
      open: (options) => PostgresRedemptionRegistry.open(pool, { schema, ...options }),
      present: (redemptions, n) => presentInProcess(registry, redemptions, n),
      cleanup: async () => {
        try {
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await Promise.all(pools.map((p) => p.end()));
        }
      },
    };
  },
};

const ENGINES: readonly Engine[] = [memory, sqlite, postgres];

/** Skips (developer machine) or fails (CI) a test whose engine is unavailable. */
function requireEngine(t: TestContext, engine: Engine): boolean {
  if (!engine.unavailable) return true;
  if (process.env.CI) throw new Error(`${engine.name} engine required in CI: ${engine.unavailable}`);
  t.skip(engine.unavailable);
  return false;
}

/** Runs `body` on a fresh store of `engine`, cleaning up however it ends. */
async function withStore(t: TestContext, engine: Engine, body: (store: Store) => Promise<void>): Promise<void> {
  if (!requireEngine(t, engine)) return;
  const store = await engine.create();
  try {
    await body(store);
  } finally {
    await store.cleanup();
  }
}

const NODE_KEY = 'pub_11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
let transactions = 0;

/** A redemption of a new payment, as a token gate records it. */
function redemption(overrides: Partial<Redemption> = {}): Redemption {
  transactions += 1;
  return {
    key: `${NODE_KEY}/tx_${transactions.toString().padStart(8, '0')}`,
    payer: 'acct_payer',
    payee: 'acct_shop',
    amount: '12.50',
    currency: 'USD',
    audience: 'https://shop.example',
    redeemed_at: '2025-01-02T03:04:05.678Z',
    ...overrides,
  };
}

const OPTIONS = { timeout: 30_000 };

for (const engine of ENGINES) {
  describe(`${engine.name} redemption registry`, () => {
    test('the first claim of a key wins, later ones lose and keep the first record', OPTIONS, (t) =>
      withStore(t, engine, async ({ registry }) => {
        const first = redemption({ reference: 'order-1' });
        assert.equal(await registry.claim(first), true);
        assert.equal(await registry.claim(first), false);
        assert.equal(await registry.claim({ ...first, audience: 'https://other.example' }), false);
        assert.deepEqual(await registry.get(first.key), first);
      }),
    );

    test('get returns the record as claimed, without a reference when it had none', OPTIONS, (t) =>
      withStore(t, engine, async ({ registry }) => {
        const plain = redemption();
        const referenced = redemption({ reference: 'order-7' });
        assert.equal(await registry.get(plain.key), undefined);
        await registry.claim(plain);
        await registry.claim(referenced);
        const got = await registry.get(plain.key);
        assert.deepEqual(got, plain);
        assert.ok(got && !('reference' in got), 'no reference property when there was none');
        assert.deepEqual(await registry.get(referenced.key), referenced);
      }),
    );

    test('release lets the key be claimed again; releasing an unknown key does nothing', OPTIONS, (t) =>
      withStore(t, engine, async ({ registry }) => {
        const r = redemption();
        assert.equal(await registry.claim(r), true);
        await registry.release(r.key);
        assert.equal(await registry.get(r.key), undefined);
        const again = { ...r, redeemed_at: '2025-01-02T03:05:00.000Z' };
        assert.equal(await registry.claim(again), true);
        assert.deepEqual(await registry.get(r.key), again);
        await registry.release(redemption().key);
        assert.deepEqual(await registry.get(r.key), again);
      }),
    );

    test('distinct keys are independent', OPTIONS, (t) =>
      withStore(t, engine, async ({ registry }) => {
        const a = redemption();
        const b = redemption({ payer: a.payer, amount: a.amount });
        assert.equal(await registry.claim(a), true);
        assert.equal(await registry.claim(b), true);
        await registry.release(a.key);
        assert.deepEqual(await registry.get(b.key), b);
        assert.equal(await registry.claim(b), false);
      }),
    );

    test('100 concurrent presentations of one token: exactly one succeeds', OPTIONS, (t) =>
      withStore(t, engine, async (store) => {
        const r = redemption();
        const [winners] = await store.present([r], 100);
        assert.equal(winners?.length, 1, `winners: ${JSON.stringify(winners)}`);
        assert.deepEqual(await store.registry.get(r.key), { ...r, reference: `presentation-${winners[0]}` });
      }),
    );

    test('20 tokens presented 100 times each, all at once: exactly one success per token', OPTIONS, (t) =>
      withStore(t, engine, async (store) => {
        const tokens = Array.from({ length: 20 }, () => redemption());
        const winners = await store.present(tokens, 100);
        for (const [i, token] of tokens.entries()) {
          const won = winners[i] ?? [];
          assert.equal(won.length, 1, `${token.key} winners: ${JSON.stringify(won)}`);
          assert.equal((await store.registry.get(token.key))?.reference, `presentation-${won[0]}`);
        }
      }),
    );

    test('empty and over-long keys are rejected as programming errors', OPTIONS, (t) =>
      withStore(t, engine, async ({ registry }) => {
        const longest = redemption({
          key: `${NODE_KEY}/${'t'.repeat(REDEMPTION_KEY_LENGTH_MAX - NODE_KEY.length - 1)}`,
        });
        assert.equal(longest.key.length, REDEMPTION_KEY_LENGTH_MAX);
        assert.equal(await registry.claim(longest), true);
        assert.deepEqual(await registry.get(longest.key), longest);
        for (const key of ['', `${longest.key}x`]) {
          await assert.rejects(registry.claim({ ...longest, key }), RangeError);
          await assert.rejects(registry.get(key), RangeError);
          await assert.rejects(registry.release(key), RangeError);
        }
      }),
    );

    if (!engine.durable) return;

    test('redemptions survive reopening the store on a new connection', OPTIONS, (t) =>
      withStore(t, engine, async (store) => {
        const r = redemption({ reference: 'order-9' });
        assert.equal(await store.registry.claim(r), true);
        const reopened = await store.reopen();
        assert.deepEqual(await reopened.get(r.key), r);
        assert.equal(await reopened.claim(r), false);
        await reopened.release(r.key);
        assert.equal(await store.registry.get(r.key), undefined);
      }),
    );

    test('a table of another name holds its own redemptions', OPTIONS, (t) =>
      withStore(t, engine, async (store) => {
        const other = await store.open({ table: 'shop_2_redemptions' });
        const r = redemption();
        assert.equal(await store.registry.claim(r), true);
        assert.equal(await other.get(r.key), undefined);
        assert.equal(await other.claim(r), true);
      }),
    );

    test('table names that are not plain lowercase identifiers are rejected', OPTIONS, (t) =>
      withStore(t, engine, async (store) => {
        const bad = [
          '',
          '1redemptions',
          'Redemptions',
          'red emptions',
          'a"b',
          'x; DROP TABLE y',
          'a.b',
          'é',
          'r'.repeat(64),
        ];
        for (const table of bad) {
          await assert.rejects(
            async () => store.open({ table }),
            (error: unknown) => error instanceof TypeError && /table name/.test(error.message),
            JSON.stringify(table),
          );
        }
        await store.open({ table: `_${'r'.repeat(62)}` });
      }),
    );
  });
}

describe('sqlite redemption registry settings', () => {
  const busyTimeout = (db: Database.Database) => db.pragma('busy_timeout', { simple: true });

  test('sets a busy timeout on a connection that has none, and keeps one the caller chose', () => {
    const bare = new Database(':memory:', { timeout: 0 });
    const chosen = new Database(':memory:', { timeout: 1234 });
    try {
      SqliteRedemptionRegistry.open(bare);
      SqliteRedemptionRegistry.open(chosen);
      assert.equal(busyTimeout(bare), SQLITE_BUSY_TIMEOUT_MS_DEFAULT);
      assert.equal(busyTimeout(chosen), 1234);
      assert.equal(bare.pragma('journal_mode', { simple: true }), 'memory', 'the journal mode is the caller’s');
    } finally {
      bare.close();
      chosen.close();
    }
  });
});

describe('postgres redemption registry setup', () => {
  test('schema names that are not plain lowercase identifiers are rejected', OPTIONS, (t) =>
    withStore(t, postgres, async (store) => {
      for (const schema of ['', 'Shop', 'a-b', 'x"; DROP SCHEMA public; --']) {
        await assert.rejects(
          async () => store.open({ schema }),
          (error: unknown) => error instanceof TypeError && /schema name/.test(error.message),
        );
      }
    }),
  );

  test('processes opening a new schema at once all get the one table', OPTIONS, async (t) => {
    if (!requireEngine(t, postgres)) return;
    const schema = `test_redemptions_open_${Math.random().toString(36).slice(2, 10)}`;
    const pools = Array.from({ length: 8 }, () => new pg.Pool({ connectionString: postgresUrl, max: 1 }));
    try {
      // Connected beforehand, so the opens race each other rather than the connection handshakes.
      await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
      const registries = await Promise.all(pools.map((pool) => PostgresRedemptionRegistry.open(pool, { schema })));
      const r = redemption();
      const results = await Promise.all(registries.map((registry) => registry.claim(r)));
      assert.equal(results.filter(Boolean).length, 1);
    } finally {
      await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});
