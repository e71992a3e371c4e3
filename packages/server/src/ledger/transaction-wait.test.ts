import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { assertErrorShape, startTestNode } from '../test-helpers.js';

const postgresUrl = process.env.WEBWALLET_TEST_DATABASE_URL;
const ENGINES = [
  { name: 'sqlite', database_url: undefined as string | undefined },
  { name: 'postgres', database_url: postgresUrl },
];

/** Long enough that "answered at the seal" and "answered at the end of the wait" are far apart. */
const INTERVAL_MS = 1_000;

interface View {
  seq: number;
  block_height: number | null;
  receipt: { block: { body: { timestamp: string; tree_size: number } } } | null;
}

for (const engine of ENGINES) {
  describe(`GET /v1/transactions/{id}?wait_ms on ${engine.name}`, () => {
    let node: Awaited<ReturnType<typeof startTestNode>>;
    const schema = `wait_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
    const skip = engine.name === 'postgres' && !engine.database_url;

    function skipped(t: { skip(message: string): void }): boolean {
      if (!skip) return false;
      if (process.env.CI) throw new Error('WEBWALLET_TEST_DATABASE_URL must be set in CI');
      t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
      return true;
    }

    /** Submits a new account (signed by a fresh key) and returns its transaction id, committed. */
    async function submitOne(): Promise<string> {
      const keys = await generateKeyPair();
      const document = await transaction('ledger.account.create', { account: encodePrefixed('pub', keys.publicKey) }, [
        keys,
      ]);
      const response = await fetch(`${node.url}/v1/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ documents: [document] }),
      });
      const body = (await response.json()) as { results: { status: string }[] };
      assert.equal(body.results[0]?.status, 'accepted', JSON.stringify(body));
      return document.body.id;
    }

    /** A lookup, timed from sending to the parsed answer. */
    async function lookup(id: string, query = '') {
      const started = Date.now();
      const response = await fetch(`${node.url}/v1/transactions/${encodeURIComponent(id)}${query}`);
      const body = (await response.json()) as View & Record<string, unknown>;
      return { status: response.status, body, answered_at: Date.now(), elapsed_ms: Date.now() - started };
    }

    before(async () => {
      if (skip) return;
      node = await startTestNode({
        block_interval_ms: INTERVAL_MS,
        database_url: engine.database_url,
        database_schema: schema,
      });
      // The first block of a new node (key and code warming up) is not what is timed.
      await lookup(await submitOne(), '?wait_ms=10000');
    });

    after(async () => {
      if (!skip) await node.stop();
    });

    test('answers as soon as the block seals the transaction, with the receipt', async (t) => {
      if (skipped(t)) return;
      const id = await submitOne();
      // When the node's ledger reports the block durable (the event that wakes the request).
      let sealedAt: number | undefined;
      const seq = (await lookup(id)).body.seq;
      const stop = node.ledger.onCommit((event) => {
        if (event.sealed_size > seq) sealedAt ??= Date.now();
      });
      const answer = await lookup(id, '?wait_ms=10000');
      stop();
      assert.equal(answer.status, 200);
      assert.ok(answer.body.receipt, 'sealed within the wait');
      assert.ok(answer.body.receipt.block.body.tree_size > seq);
      assert.ok(sealedAt !== undefined);
      const sinceSeal = answer.answered_at - sealedAt;
      assert.ok(sinceSeal >= 0 && sinceSeal < 250, `answered ${sinceSeal} ms after the seal`);
      assert.ok(answer.elapsed_ms < 3 * INTERVAL_MS, `answered after ${answer.elapsed_ms} ms`);
      // Already sealed: the same answer at once.
      const again = await lookup(id, '?wait_ms=10000');
      assert.deepEqual(again.body, answer.body);
    });

    test('answers when the wait ends, still unsealed, and old clients (no wait_ms) at once', async (t) => {
      if (skipped(t)) return;
      const id = await submitOne();
      const plain = await lookup(id);
      assert.equal(plain.status, 200);
      assert.equal(plain.body.receipt, null);
      assert.equal(plain.body.block_height, null);
      const short = await lookup(id, '?wait_ms=150');
      assert.equal(short.status, 200);
      assert.equal(short.body.receipt, null, 'a block seals only block_interval_ms after the commit');
      assert.ok(short.elapsed_ms >= 145, `answered after ${short.elapsed_ms} ms, before the wait ended`);
      assert.ok(short.elapsed_ms < 150 + 250, `answered ${short.elapsed_ms - 150} ms after the wait ended`);
      const zero = await lookup(id, '?wait_ms=0');
      assert.equal(zero.body.receipt, null);
      const sealed = await lookup(id, '?wait_ms=5000');
      assert.ok(sealed.body.receipt);
    });

    test('many waiting requests are all answered by the one seal', async (t) => {
      if (skipped(t)) return;
      const ids = await Promise.all(Array.from({ length: 5 }, () => submitOne()));
      const answers = await Promise.all(ids.flatMap((id) => [1, 2, 3, 4].map(() => lookup(id, '?wait_ms=10000'))));
      assert.ok(answers.every((a) => a.status === 200 && a.body.receipt !== null));
      assert.ok(answers.every((a) => a.elapsed_ms < 3 * INTERVAL_MS));
    });

    test('wait_ms out of range or not an integer is 400 invalid_request; an unknown id is 404 at once', async (t) => {
      if (skipped(t)) return;
      const id = await submitOne();
      for (const bad of ['10001', '-1', '1.5', 'soon', '']) {
        const answer = await lookup(id, `?wait_ms=${bad}`);
        assert.equal(answer.status, 400, `wait_ms=${bad}`);
        const error = assertErrorShape(answer.body, 'invalid_request');
        assert.match(JSON.stringify(error.details), /wait_ms/);
      }
      const unknown = await lookup('no-such-transaction', '?wait_ms=10000');
      assert.equal(unknown.status, 404);
      assertErrorShape(unknown.body, 'transaction_not_found');
      assert.ok(unknown.elapsed_ms < 1_000, 'an unknown id is not waited on');
    });

    test('a node shutting down answers the waiting requests at once', async (t) => {
      if (skipped(t)) return;
      const id = await submitOne();
      const pending = lookup(id, '?wait_ms=10000');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closing = node.close();
      const answer = await pending;
      await closing;
      assert.equal(answer.status, 200);
      assert.equal(answer.body.receipt, null);
      assert.ok(answer.elapsed_ms < INTERVAL_MS, `answered after ${answer.elapsed_ms} ms`);
    });
  });
}
