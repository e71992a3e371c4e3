/**
 * NodeClient against a real node (the ledger API over HTTP), and against real HTTP servers that
 * misbehave the ways a wrong URL, a proxy or a hostile host can: no answer, HTML, nonsense,
 * an endless body.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair, type KeyPair, verifyReceipt } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { type RunningNode, startNode } from '@webwallet/server';
import { type Fetch, NodeClient, RESPONSE_BYTES_MAX } from './node-client.js';

async function party(): Promise<{ id: string; keys: KeyPair }> {
  const keys = await generateKeyPair();
  return { keys, id: encodePrefixed('pub', keys.publicKey) };
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('NodeClient against a real node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ww-wallet-client-'));
  let node: RunningNode;
  let client: NodeClient;

  before(async () => {
    // Blocks every second, so that a fresh transaction is visibly unsealed for a while.
    node = await startNode({ port: 0, data_dir: dir, log_level: 'silent', block_interval_ms: 1_000 });
    client = new NodeClient({ url: `${node.url}/` });
  });

  after(async () => {
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('info: the node key, name and API base URL; the trailing slash of the URL is dropped', async () => {
    assert.equal(client.url, node.url);
    const info = await client.info();
    assert.ok(info.ok, JSON.stringify(info));
    assert.equal(info.value.public_key, node.nodeKey.publicKey);
    assert.equal(info.value.api_base_url, node.url);
    assert.equal(typeof info.value.name, 'string');
  });

  test('submit, resubmit, read back, wait for the receipt, list', async () => {
    const alice = await party();
    assert.deepEqual(await client.account(alice.id), { ok: true, value: undefined });
    const open = await transaction('ledger.account.create', { account: alice.id }, [alice.keys]);
    const issue = await transaction('ledger.currency.issue', { issuer: alice.id, currency: 'NC', scale: 2 }, [
      alice.keys,
    ]);
    const submitted = await client.submit([open, issue]);
    assert.ok(submitted.ok, JSON.stringify(submitted));
    assert.deepEqual(
      submitted.value.map((r) => r.status),
      ['accepted', 'accepted'],
    );
    const again = await client.submit([open]);
    assert.ok(again.ok);
    assert.equal(again.value[0]?.status, 'accepted');
    assert.equal((again.value[0] as { duplicate?: boolean }).duplicate, true, 'the same document again is a duplicate');

    const early = await client.waitForReceipt(issue.body.id, { timeout_ms: 1 });
    assert.equal(early.ok ? 'sealed' : early.error.code, 'payment_not_sealed');
    const view = await client.transaction(issue.body.id);
    assert.ok(view.ok && view.value);
    assert.equal(view.value.document.type, 'ledger.currency.issue');
    const receipt = await client.waitForReceipt(issue.body.id, { timeout_ms: 5_000 });
    assert.ok(receipt.ok, JSON.stringify(receipt));
    assert.ok((await verifyReceipt(receipt.value, [node.nodeKey.publicKey])).ok);

    const account = await client.account(alice.id);
    assert.ok(account.ok && account.value);
    assert.equal(account.value.balances[0]?.currency, 'NC');
    assert.equal(account.value.balances[0]?.issuer, true);

    const first = await client.accountTransactions(alice.id, { limit: 1 });
    assert.ok(first.ok && first.value);
    assert.equal(first.value.items.length, 1);
    assert.equal(first.value.items[0]?.id, issue.body.id, 'newest first');
    assert.ok(first.value.next_cursor);
    const second = await client.accountTransactions(alice.id, { limit: 1, cursor: first.value.next_cursor });
    assert.ok(second.ok && second.value);
    assert.equal(second.value.items[0]?.id, open.body.id);
    assert.deepEqual(await client.accountTransactions((await party()).id), { ok: true, value: undefined });
    await assert.rejects(client.accountTransactions(alice.id, { limit: 500 }), RangeError);
  });

  test('waitForReceipt: one lookup, held by the node and answered as the block seals', async () => {
    const carol = await party();
    const open = await transaction('ledger.account.create', { account: carol.id }, [carol.keys]);
    const lookups: string[] = [];
    const recording: Fetch = (input, init) => {
      if (input.includes('/v1/transactions/')) lookups.push(new URL(input).search);
      return globalThis.fetch(input, init);
    };
    const watched = new NodeClient({ url: node.url, fetch: recording });
    assert.ok((await watched.submit([open])).ok);
    const sealed = new Promise<number>((resolve) => {
      const stop = node.ledger.onCommit((event) => {
        if (event.sealed_size < node.ledger.logSize) return;
        stop();
        resolve(Date.now());
      });
    });
    const receipt = await watched.waitForReceipt(open.body.id, { timeout_ms: 8_000 });
    const answered = Date.now();
    assert.ok(receipt.ok, JSON.stringify(receipt));
    assert.ok((await verifyReceipt(receipt.value, [node.nodeKey.publicKey])).ok);
    // The client's request limit is 10 s: each lookup asks to be held for at most half of it.
    assert.deepEqual(lookups, ['?wait_ms=5000'], 'no polling: the node answered when the block was sealed');
    assert.ok(answered - (await sealed) < 250, 'the answer follows the seal');
    await assert.rejects(watched.transaction(open.body.id, { wait_ms: 10_001 }), RangeError);
    await assert.rejects(watched.transaction(open.body.id, { wait_ms: -1 }), RangeError);
  });

  test('rejections and node errors keep their code and details', async () => {
    const bob = await party();
    const mallory = await party();
    const forged = await transaction('ledger.account.create', { account: bob.id }, [mallory.keys]);
    const submitted = await client.submit([forged]);
    assert.ok(submitted.ok);
    const [result] = submitted.value;
    assert.equal(result?.status, 'rejected');
    if (result?.status !== 'rejected') return;
    assert.equal(result.id, forged.body.id);
    assert.equal(result.error.code, 'authorization_insufficient');

    const badCursor = await client.accountTransactions(bob.id, { cursor: 'not-a-cursor' });
    assert.equal(badCursor.ok ? 'ok' : badCursor.error.code, 'cursor_invalid');
    const tooLong = await client.account('x'.repeat(200));
    assert.ok(!tooLong.ok);
    assert.equal(tooLong.error.code, 'invalid_request');
    assert.equal(tooLong.error.status, 400);
    assert.ok(Object.keys(tooLong.error.details).length > 0, 'the details of the node error are kept');
    assert.deepEqual(await client.transaction('no-such-transaction'), { ok: true, value: undefined });
    const missing = await client.waitForReceipt('no-such-transaction');
    assert.equal(missing.ok ? 'found' : missing.error.code, 'transaction_not_found');
    assert.equal((await client.submit([])).ok ? 'ok' : 'refused', 'refused');
  });
});

describe('NodeClient when the node is not reachable or answers nonsense', () => {
  test('nothing listens: node_unreachable', async () => {
    const server = await serve(() => undefined);
    const url = urlOf(server);
    await close(server);
    const info = await new NodeClient({ url }).info();
    assert.ok(!info.ok);
    assert.equal(info.error.code, 'node_unreachable');
    assert.equal(info.error.details.url, `${url}/.well-known/webwallet`);
  });

  test('no answer within timeout_ms: node_unreachable, timed out', async (t) => {
    const server = await serve(() => undefined);
    t.after(() => close(server));
    const started = performance.now();
    const info = await new NodeClient({ url: urlOf(server), timeout_ms: 200 }).info();
    assert.ok(!info.ok);
    assert.equal(info.error.code, 'node_unreachable');
    assert.equal(info.error.details.reason, 'timed out');
    assert.ok(performance.now() - started < 2_000);
  });

  test('HTML, the wrong JSON, unknown error codes, oversized bodies: node_unreachable with a reason', async (t) => {
    const big = Buffer.alloc(RESPONSE_BYTES_MAX + 1, 0x20);
    const server = await serve((req, res) => {
      const path = req.url ?? '';
      if (path.startsWith('/html/')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
      } else if (path.startsWith('/wrong/')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"public_key":"nope","results":[]}');
      } else if (path.startsWith('/unknown-code/')) {
        res.writeHead(418, { 'content-type': 'application/json' }).end('{"error":{"code":"teapot","message":"x"}}');
      } else if (path.startsWith('/bad-gateway/')) {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502</h1>');
      } else if (path.startsWith('/big-declared/')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': big.length }).end(big);
      } else {
        // Chunked, no length: the limit must hold while streaming.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(big.subarray(0, 1_000_000));
        res.end(big.subarray(1_000_000));
      }
    });
    t.after(() => close(server));
    const reasonOf = async (prefix: string, call: (c: NodeClient) => Promise<{ ok: boolean; error?: unknown }>) => {
      const result = await call(new NodeClient({ url: `${urlOf(server)}/${prefix}` }));
      assert.equal(result.ok, false, prefix);
      const error = result.error as { code: string; details: { reason?: string } };
      assert.equal(error.code, 'node_unreachable', prefix);
      return String(error.details.reason);
    };
    assert.match(await reasonOf('html', (c) => c.info()), /not JSON/);
    assert.match(await reasonOf('wrong', (c) => c.info()), /unexpected answer/);
    assert.match(await reasonOf('wrong', (c) => c.account('pub_x')), /unexpected answer/);
    assert.match(await reasonOf('unknown-code', (c) => c.transaction('x')), /without a WebWallet error body/);
    assert.match(await reasonOf('bad-gateway', (c) => c.transaction('x')), /not JSON/);
    assert.match(await reasonOf('big-declared', (c) => c.info()), /exceeds 4 MiB/);
    assert.match(await reasonOf('big-chunked', (c) => c.info()), /exceeds 4 MiB/);
  });

  test('a node that answers lookups at once (before wait_ms existed) is asked every poll_ms', async (t) => {
    let served = 0;
    const transaction = { id: 'tx1', document_id: 'doc_x', seq: 0, type: 'ledger.transfer', document: {} };
    const server = await serve((_req, res) => {
      // Sealed from the fifth lookup on; the receipt is not verified by waitForReceipt.
      const receipt = ++served >= 5 ? { version: 1, document: {}, index: 0, block: {}, proof: [] } : null;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...transaction, receipt }));
    });
    t.after(() => close(server));
    const asked: { at: number; url: string }[] = [];
    const recording: Fetch = (input, init) => {
      asked.push({ at: Date.now(), url: input });
      return globalThis.fetch(input, init);
    };
    const client = new NodeClient({ url: urlOf(server), fetch: recording });
    const receipt = await client.waitForReceipt('tx1', { poll_ms: 40, timeout_ms: 5_000 });
    assert.ok(receipt.ok, JSON.stringify(receipt));
    assert.equal(asked.length, 5);
    assert.match(asked[0]!.url, /\/v1\/transactions\/tx1\?wait_ms=\d+$/);
    for (let i = 1; i < asked.length; i++) {
      assert.ok(asked[i]!.at - asked[i - 1]!.at >= 39, `lookup ${i} sent ${asked[i]!.at - asked[i - 1]!.at} ms after`);
    }
    const gaveUp = await new NodeClient({ url: urlOf(server) }).waitForReceipt('tx1', { timeout_ms: 1 });
    assert.ok(gaveUp.ok, 'a receipt already there is returned however short the wait');
  });

  test('a URL that is not an http(s) base URL is a programming error', () => {
    for (const url of ['node.example', 'ftp://node.example', 'https://u:p@node.example', 'https://n.example/?q=1']) {
      assert.throws(() => new NodeClient({ url }), TypeError, url);
    }
    assert.throws(() => new NodeClient({ url: 'https://node.example', timeout_ms: 0 }), RangeError);
  });
});
