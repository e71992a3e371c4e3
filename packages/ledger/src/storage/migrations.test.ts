import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodePrefixed, generateKeyPair } from '@webwallet/core';
import Database from 'better-sqlite3';
import pg from 'pg';
import { transaction } from '../documents.js';
import { newNodeKey, openLedger } from '../test-support.js';
import { MIGRATIONS as POSTGRES_MIGRATIONS, PostgresStorage } from './postgres.js';
import { MIGRATIONS as SQLITE_MIGRATIONS, SqliteStorage } from './sqlite.js';
import type { LedgerStorage } from './storage.js';

/**
 * A ledger written by the first schema version opens with today's code: the migration adds the
 * spending-policy columns, existing accounts load without a policy, and their keys can then be
 * changed with ledger.account.update.
 */
async function checkUpgrade(
  open: () => Promise<LedgerStorage>,
  accountId: string,
  keys: Parameters<typeof transaction>[2],
) {
  const storage = await open();
  const snapshot = await storage.loadSnapshot();
  const account = snapshot.accounts.find((a) => a.id === accountId);
  assert.deepEqual(account && { policy: account.spending_policy, spent: account.small_spent, keys: account.keys }, {
    policy: null,
    spent: [],
    keys: [accountId],
  });
  const ledger = await openLedger(storage, await newNodeKey());
  try {
    const other = await generateKeyPair();
    const otherId = encodePrefixed('pub', other.publicKey);
    const [result] = await ledger.submit([
      await transaction('ledger.account.update', { account: accountId, keys: [accountId, otherId], threshold: 2 }, [
        ...(keys ?? []),
        other,
      ]),
    ]);
    assert.equal(result?.status, 'accepted', JSON.stringify(result));
    assert.deepEqual((await ledger.account(accountId))?.keys, [accountId, otherId]);
  } finally {
    await ledger.close();
  }
}

const V1_ACCOUNT = (id: string) =>
  `INSERT INTO accounts (id, keys, threshold, custodial, allow_rippling, created_seq) VALUES ('${id}', '["${id}"]', 1, false, false, 0)`;

test('a SQLite ledger from schema version 1 migrates to spending policies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ww-migrate-'));
  try {
    const path = join(dir, 'ledger.db');
    const keys = await generateKeyPair();
    const id = encodePrefixed('pub', keys.publicKey);
    const db = new Database(path);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT');
    db.exec(SQLITE_MIGRATIONS[0]!);
    db.exec('INSERT INTO schema_version (version) VALUES (1)');
    db.exec(V1_ACCOUNT(id).replace('false, false', '0, 0'));
    db.close();
    await checkUpgrade(async () => new SqliteStorage({ path }), id, [keys]);
    const after = new Database(path, { readonly: true });
    const row = after.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number };
    assert.equal(row.v, SQLITE_MIGRATIONS.length);
    after.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PostgreSQL ledger from schema version 1 migrates to spending policies', async (t) => {
  const url = process.env.WEBWALLET_TEST_DATABASE_URL;
  if (!url) {
    if (process.env.CI) throw new Error('postgres engine required in CI: WEBWALLET_TEST_DATABASE_URL is not set');
    t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
    return;
  }
  const schema = `test_migrate_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const keys = await generateKeyPair();
    const id = encodePrefixed('pub', keys.publicKey);
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    await client.query('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    await client.query(POSTGRES_MIGRATIONS[0]!);
    await client.query('INSERT INTO schema_version (version) VALUES (1)');
    await client.query(V1_ACCOUNT(id));
    await checkUpgrade(() => PostgresStorage.open({ url, schema }), id, [keys]);
    const version = await client.query<{ v: number }>('SELECT max(version) AS v FROM schema_version');
    assert.equal(version.rows[0]?.v, POSTGRES_MIGRATIONS.length);
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await client.end();
  }
});
