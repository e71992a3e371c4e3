import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteStorage, transaction } from '@webwallet/ledger';
import { type ServedNode, serveNode, TempDirs, webwallet } from './test-helpers.js';

/**
 * kill -9 the node while it is acknowledging transfers, restart it on the same data, and check
 * that every acknowledged transaction is there and that the audit passes. Acknowledgement comes
 * only after the batch is durable (SQLite WAL with synchronous=FULL; a committed PostgreSQL
 * transaction), so nothing acknowledged may be lost.
 */

const HOLDERS = 40;
const LOAD_MS = 1_000;
const CLIENTS = 6;
const BATCH = 25;

const postgresUrl = process.env.WEBWALLET_TEST_DATABASE_URL;
const schema = `crash_${Date.now().toString(36)}`;
const temp = new TempDirs();
after(async () => {
  temp.removeAll();
  if (!postgresUrl) return;
  const { PostgresStorage } = await import('@webwallet/ledger/postgres');
  const storage = await PostgresStorage.open({ url: postgresUrl, schema, readonly: true });
  await storage.dropSchema();
  await storage.close();
});

async function post(node: ServedNode, token: string, documents: unknown[]): Promise<{ status: string; id: string }[]> {
  const response = await fetch(`${node.url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ documents }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { results: { status: string; id: string }[] }).results;
}

async function seed(node: ServedNode, token: string): Promise<string[]> {
  const holders = Array.from({ length: HOLDERS }, (_, i) => `acc_holder${i}`);
  const setup = [
    await transaction('ledger.account.create', { account: 'acc_issuer' }),
    ...(await Promise.all(holders.map((account) => transaction('ledger.account.create', { account })))),
    await transaction('ledger.currency.issue', { issuer: 'acc_issuer', currency: 'CRASH', scale: 0 }),
    ...(await Promise.all(
      holders.map((holder) => transaction('ledger.trust.set', { holder, currency: 'CRASH', limit: '1000000' })),
    )),
    ...(await Promise.all(
      holders.map((to) =>
        transaction('ledger.transfer', { legs: [{ from: 'acc_issuer', to, currency: 'CRASH', amount: '1000' }] }),
      ),
    )),
  ];
  const results = await post(node, token, setup);
  assert.ok(
    results.every((r) => r.status === 'accepted'),
    JSON.stringify(results.find((r) => r.status !== 'accepted')),
  );
  return holders;
}

/** Clients send batches of transfers until the node dies; returns the ids it acknowledged. */
async function load(node: ServedNode, token: string, holders: string[], until: { dead: boolean }): Promise<string[]> {
  const acknowledged: string[] = [];
  const client = async () => {
    while (!until.dead) {
      const docs = await Promise.all(
        Array.from({ length: BATCH }, () => {
          const from = holders[Math.floor(Math.random() * holders.length)]!;
          const to =
            holders[(holders.indexOf(from) + 1 + Math.floor(Math.random() * (holders.length - 1))) % holders.length]!;
          return transaction('ledger.transfer', { legs: [{ from, to, currency: 'CRASH', amount: '1' }] });
        }),
      );
      try {
        for (const r of await post(node, token, docs)) if (r.status === 'accepted') acknowledged.push(r.id);
      } catch {
        return; // the node was killed mid-request: that batch was never acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return acknowledged;
}

const pgArgs = ['--database-url', postgresUrl ?? '', '--database-schema', schema];
const engines = [
  { name: 'sqlite', args: [] as string[] },
  { name: 'postgres', args: pgArgs },
];

describe('crash safety', () => {
  for (const engine of engines) {
    test(`kill -9 under load loses nothing acknowledged (${engine.name})`, { timeout: 120_000 }, async (t) => {
      if (engine.name === 'postgres' && !postgresUrl) {
        if (process.env.CI) throw new Error('WEBWALLET_TEST_DATABASE_URL must be set in CI');
        t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
        return;
      }
      const dir = temp.make();
      const args = ['--data-dir', dir, '--block-interval-ms', '200', ...engine.args];
      const first = await serveNode(args);
      const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
      const holders = await seed(first, token);

      const state = { dead: false };
      const loading = load(first, token, holders, state);
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
      first.child.kill('SIGKILL');
      await first.exited;
      state.dead = true;
      const acknowledged = await loading;
      assert.ok(acknowledged.length > 100, `only ${acknowledged.length} transfers acknowledged before the kill`);

      const second = await serveNode(args);
      try {
        // Read the durable store directly: one query for all ids, not a receipt per id.
        const storage =
          engine.name === 'postgres'
            ? await (await import('@webwallet/ledger/postgres')).PostgresStorage.open({
                url: postgresUrl!,
                schema,
                readonly: true,
              })
            : new SqliteStorage({ path: join(dir, 'ledger.db'), readonly: true });
        const found = await storage.findTransactionIds(acknowledged);
        await storage.close();
        const missing = acknowledged.filter((id) => !found.has(id));
        assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged transfers lost`);
        t.diagnostic(`${acknowledged.length} acknowledged transfers, all present after kill -9`);
        const last = await fetch(`${second.url}/v1/transactions/${acknowledged.at(-1)}`);
        assert.equal(last.status, 200);

        const audit = await webwallet(['audit', '--json', '--data-dir', dir, ...engine.args]);
        assert.equal(audit.code, 0, audit.stderr + audit.stdout);
        const report = JSON.parse(audit.stdout) as { ok: boolean; transactions: number; problems: string[] };
        assert.deepEqual(report.problems, []);
        assert.ok(report.transactions >= acknowledged.length);
      } finally {
        await second.stop();
      }
    });
  }
});
