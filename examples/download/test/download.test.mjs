/**
 * The download shop end to end, against real things only: a real node started in-process (blocks
 * every 50 ms), real ledger payments and receipts, the shop over real HTTP with its redemptions in
 * a real SQLite file, the one-command launcher as a child process, and the buyer's printed
 * commands run through the real `webwallet` CLI and curl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createPayerToken, encodePrefixed, generateKeyPair } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { startNode } from '@webwallet/server';
import { banner, startDemo } from '../dev.mjs';
import { openRedemptionRegistry, startDownloadShop } from '../server.mjs';

const run = promisify(execFile);
const EXAMPLE_DIR = join(import.meta.dirname, '..');
const REPO_ROOT = join(EXAMPLE_DIR, '..', '..');
const CLI = join(REPO_ROOT, 'packages', 'cli', 'bin', 'webwallet.js');
const PRICE = '5.00';
const CURRENCY = 'DL';

async function party() {
  const keys = await generateKeyPair();
  return { keys, id: encodePrefixed('pub', keys.publicKey) };
}

/** Polls `check` until it returns something truthy, or fails with `what` after `timeout_ms`. */
async function waitFor(what, check, timeout_ms = 5_000) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const errorCode = async (response) => (await response.json()).error.code;
/** The status of a response whose body is not needed, read to the end so the connection is free again. */
const statusOf = async (pending) => {
  const response = await pending;
  await response.arrayBuffer();
  return response.status;
};

// The two suites share nothing and mostly wait (on blocks, on child processes): run them side by side.
describe('examples/download', { concurrency: true, timeout: 60_000 }, () => {
  describe('the download shop, against a real node', { concurrency: 1 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ww-download-'));
    const file = join(dir, 'handbook.pdf');
    const contents = randomBytes(300_000); // several chunks: the file is streamed, not sent in one piece
    const dbPath = join(dir, 'redemptions.db');
    const log = [];
    let node;
    let redemptions;
    let shop;
    let issuer;
    let seller;
    let buyer;

    const submit = async (...documents) => {
      for (const result of await node.ledger.submit(documents)) {
        assert.equal(result.status, 'accepted', JSON.stringify(result));
      }
    };

    /** A real payment from the buyer to the seller, once sealed: its receipt. */
    async function pay(amount) {
      const legs = [{ from: buyer.id, to: seller.id, currency: CURRENCY, amount }];
      const document = await transaction('ledger.transfer', { legs }, [buyer.keys]);
      await submit(document);
      return waitFor(
        'the payment to be sealed',
        async () => (await node.ledger.transaction(document.body.id))?.receipt,
      );
    }

    async function tokenFor(receipt, options = {}) {
      const created = await createPayerToken({ keyPair: buyer.keys, receipt, audience: shop.url, ...options });
      assert.ok(created.ok, JSON.stringify(created));
      return created.value;
    }

    const download = (token) =>
      fetch(`${shop.url}/file`, token === undefined ? {} : { headers: { authorization: `PayerToken ${token}` } });

    async function startShop(port = 0) {
      redemptions = openRedemptionRegistry(dbPath);
      shop = await startDownloadShop({
        port,
        file,
        price: PRICE,
        currency: CURRENCY,
        seller: seller.id,
        nodeUrl: node.url,
        registry: redemptions.registry,
        title: 'The handbook',
        log: (line) => log.push(line),
      });
    }

    async function stopShop() {
      await shop.close();
      redemptions.close();
    }

    before(async () => {
      node = await startNode({ port: 0, data_dir: join(dir, 'node'), log_level: 'silent', block_interval_ms: 50 });
      [issuer, seller, buyer] = await Promise.all([party(), party(), party()]);
      const legs = [{ from: issuer.id, to: buyer.id, currency: CURRENCY, amount: '1000.00' }];
      const trust = (p) => ({ holder: p.id, currency: CURRENCY, limit: '10000.00' });
      // One batch, applied in order: accounts, the currency, trust lines, the buyer's money.
      await submit(
        ...(await Promise.all([
          ...[issuer, seller, buyer].map((p) => transaction('ledger.account.create', { account: p.id }, [p.keys])),
          transaction('ledger.currency.issue', { issuer: issuer.id, currency: CURRENCY, scale: 2 }, [issuer.keys]),
          ...[seller, buyer].map((p) => transaction('ledger.trust.set', trust(p), [p.keys])),
          transaction('ledger.transfer', { legs }, [issuer.keys]),
        ])),
      );
      writeFileSync(file, contents);
      await startShop();
    });

    after(async () => {
      await shop?.close();
      redemptions?.close();
      await node?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the index page says what is sold, the price, whom to pay, the steps, and has a token form', async () => {
      const response = await fetch(shop.url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^text\/html/);
      assert.match(response.headers.get('content-security-policy'), /form-action 'self'/);
      const page = await response.text();
      assert.match(page, /<h1>The handbook<\/h1>/);
      assert.match(page, /<strong id="price">5\.00 DL<\/strong>/);
      assert.match(page, /300,000 bytes/);
      assert.ok(page.includes(`<code id="payee">${seller.id}</code>`));
      assert.ok(page.includes(`<code id="audience">${shop.url}</code>`));
      assert.ok(page.includes(`<code id="node">${node.url}</code>`));
      assert.ok(page.includes(node.nodeKey.publicKey), 'the node key the shop trusts, fetched at start');
      assert.ok(page.includes(`--to ${seller.id} --currency DL --amount 5.00`));
      assert.ok(page.includes(`--audience ${shop.url} --out token.txt`));
      assert.ok(
        page.includes(`curl -f -o ${basename(file)} -H "Authorization: PayerToken $(cat token.txt)" ${shop.url}/file`),
      );
      assert.match(page, /<form method="get" action="\/file">\s*<textarea name="payer_token"/);
    });

    test('no token: 402 with the payment instructions', async () => {
      const response = await download();
      assert.equal(response.status, 402);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const { error } = await response.json();
      assert.equal(error.code, 'payment_required');
      const { payment } = error.details;
      assert.equal(payment.payee, seller.id);
      assert.equal(payment.amount, PRICE);
      assert.equal(payment.currency, CURRENCY);
      assert.equal(payment.audience, shop.url);
      assert.equal(payment.description, 'The handbook');
      assert.deepEqual(payment.nodes, [{ public_key: node.nodeKey.publicKey, url: node.url }]);
      const uri = new URL(payment.payment_uri);
      assert.equal(uri.protocol, 'web+webwallet:');
      assert.equal(uri.searchParams.get('node'), node.url);
      assert.equal(uri.searchParams.get('to'), seller.id);
      assert.equal(uri.searchParams.get('amount'), PRICE);
      assert.equal(uri.searchParams.get('currency'), CURRENCY);
    });

    test('a paid token gets exactly the file, once; any second presentation of the payment is 409', async () => {
      const receipt = await pay(PRICE);
      const token = await tokenFor(receipt);
      const head = await fetch(`${shop.url}/file`, {
        method: 'HEAD',
        headers: { authorization: `PayerToken ${token}` },
      });
      assert.equal(head.status, 404, 'no HEAD route: it would use the payment up without sending the file');

      const first = await download(token);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('content-type'), 'application/pdf');
      assert.equal(first.headers.get('content-length'), String(contents.length));
      assert.match(first.headers.get('content-disposition'), /^attachment; filename="handbook\.pdf"/);
      assert.equal(first.headers.get('cache-control'), 'no-store');
      assert.ok(Buffer.from(await first.arrayBuffer()).equals(contents), 'exactly the bytes of the file');
      const key = `${node.nodeKey.publicKey}/${receipt.document.body.id}`;
      const sale = await waitFor('the sale to be logged', () => log.find((l) => l.startsWith('sold handbook.pdf')));
      assert.ok(sale?.includes(buyer.id) && sale.includes('5.00 DL') && sale.includes(key), sale);
      assert.equal((await redemptions.registry.get(key))?.payer, buyer.id, 'recorded in SQLite');

      const again = await download(token);
      assert.equal(again.status, 409);
      assert.equal(await errorCode(again), 'token_replayed');
      const fresh = await tokenFor(receipt); // another nonce, the same payment
      assert.equal(await statusOf(download(fresh)), 409);
    });

    test('invalid tokens are 403 with the verifier code, and use nothing up', async () => {
      const cheap = await pay('1.00');
      let response = await download(await tokenFor(cheap));
      assert.equal(response.status, 403);
      assert.equal(await errorCode(response), 'payment_amount_too_low');
      assert.equal(await redemptions.registry.get(`${node.nodeKey.publicKey}/${cheap.document.body.id}`), undefined);

      response = await download('wwpt1.this-is-not-a-token');
      assert.equal(response.status, 403);
      assert.equal(await errorCode(response), 'token_malformed');
      const token = await tokenFor(await pay(PRICE));
      response = await download(`${token.slice(0, -40)}${'A'.repeat(40)}`);
      assert.equal(response.status, 403);
      assert.equal(await errorCode(response), 'token_malformed');

      const receipt = await pay(PRICE);
      response = await download(await tokenFor(receipt, { audience: 'https://elsewhere.example' }));
      assert.equal(response.status, 403);
      assert.equal(await errorCode(response), 'token_audience_mismatch');
      assert.equal(await statusOf(download(await tokenFor(receipt))), 200, 'the payment was not used up');
    });

    test("the index page's form works: GET /file?payer_token=…", async () => {
      const page = await (await fetch(shop.url)).text();
      const action = /<form method="get" action="([^"]+)">/.exec(page)[1];
      const field = /<textarea name="([^"]+)"/.exec(page)[1];
      const token = await tokenFor(await pay(PRICE));
      // What a browser sends for a GET form: the fields, URL-encoded, as the query.
      const url = new URL(action, shop.url);
      url.search = new URLSearchParams({ [field]: token }).toString();
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(contents));
      assert.equal(await statusOf(fetch(url)), 409);
    });

    test('a short by-reference token is checked online with the node', async () => {
      const token = await tokenFor(await pay(PRICE), { form: 'reference' });
      assert.ok(token.length < 1_000, `${token.length} characters`);
      assert.equal(await statusOf(download(token)), 200);
      await waitFor('the sale to be logged', () => log.at(-1).includes('proven by the node'));
    });

    test('redemptions survive a restart of the file server (same SQLite file): still 409', async () => {
      const token = await tokenFor(await pay(PRICE));
      assert.equal(await statusOf(download(token)), 200);
      const port = Number(new URL(shop.url).port); // the same origin, so the token's audience still matches
      await stopShop();
      await startShop(port);
      const again = await download(token);
      assert.equal(again.status, 409);
      assert.equal(await errorCode(again), 'token_replayed');
    });

    test('a file that cannot be read after the claim: 503, the claim is released, the same token works later', async () => {
      const receipt = await pay(PRICE);
      const token = await tokenFor(receipt);
      const key = `${node.nodeKey.publicKey}/${receipt.document.body.id}`;
      renameSync(file, `${file}.away`);
      try {
        const failed = await download(token);
        assert.equal(failed.status, 503);
        assert.equal(failed.headers.get('retry-after'), '10');
        assert.equal(await errorCode(failed), 'service_unavailable');
        // The gate releases on the 5xx once the answer is sent.
        await waitFor('the claim to be released', async () => (await redemptions.registry.get(key)) === undefined);
        assert.ok(log.at(-1).startsWith('download failed, claim released'), log.at(-1));
        assert.equal(await statusOf(download(token)), 503, 'still missing: still 503, still not used up');
      } finally {
        renameSync(`${file}.away`, file);
      }
      await waitFor('the claim to be released', async () => (await redemptions.registry.get(key)) === undefined);
      const retry = await download(token);
      assert.equal(retry.status, 200);
      assert.ok(Buffer.from(await retry.arrayBuffer()).equals(contents));
      assert.equal(await statusOf(download(token)), 409);
    });

    test('a client that hangs up the moment the last byte arrives has bought the file: 409 after', async () => {
      // curl does that. On a loaded machine the connection's close can be seen before the response
      // counts as finished (writableFinished); a shop that released the claim then would let the
      // token download the file again. Tried a few times, with a small file read in one chunk.
      const small = randomBytes(900);
      writeFileSync(file, small);
      try {
        for (let i = 0; i < 5; i++) {
          const receipt = await pay(PRICE);
          const token = await tokenFor(receipt);
          const out = join(dir, 'curl.out');
          await run('curl', ['-sf', '-o', out, '-H', `Authorization: PayerToken ${token}`, `${shop.url}/file`]);
          assert.ok(readFileSync(out).equals(small), 'the whole file arrived');
          // The shop's verdict on that download (sold, or cut short) once it has seen the connection close.
          const verdict = await waitFor('the download to be logged', () =>
            log.find((line) => line.includes(receipt.document.body.id)),
          );
          assert.match(verdict, /^sold /, `attempt ${i + 1}`);
          assert.equal(await statusOf(download(token)), 409, `attempt ${i + 1}`);
        }
      } finally {
        writeFileSync(file, contents);
      }
    });

    test('a download cut short is not a sale: the claim is released and the same token works again', async () => {
      const receipt = await pay(PRICE);
      const token = await tokenFor(receipt);
      const key = `${node.nodeKey.publicKey}/${receipt.document.body.id}`;
      // Far more than loopback socket buffers hold, so the buyer can hang up before the last byte is sent.
      writeFileSync(file, Buffer.alloc(64 * 1024 * 1024, 7));
      try {
        const hangUp = new AbortController();
        const response = await fetch(`${shop.url}/file`, {
          headers: { authorization: `PayerToken ${token}` },
          signal: hangUp.signal,
        });
        assert.equal(response.status, 200);
        await response.body.getReader().read(); // the first bytes arrive...
        hangUp.abort(); // ...and the buyer's connection drops
        await waitFor('the claim to be released', async () => (await redemptions.registry.get(key)) === undefined);
        assert.match(log.at(-1), /^download cut short \(\d+ of 67108864 bytes read\), claim released/);
      } finally {
        writeFileSync(file, contents);
      }
      const retry = await download(token);
      assert.equal(retry.status, 200);
      assert.ok(Buffer.from(await retry.arrayBuffer()).equals(contents));
      assert.equal(await statusOf(download(token)), 409);
    });
  });

  describe('the one-command launcher (dev.mjs)', { concurrency: 1 }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ww-download-dev-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    test('dev.mjs --buy sets everything up and buys the file, in one command', async () => {
      const { stdout } = await run(
        process.execPath,
        [join(EXAMPLE_DIR, 'dev.mjs'), '--buy', '--data-dir', dataDir, '--node-port', '0', '--port', '0'],
        { timeout: 40_000 },
      );
      assert.match(stdout, /1\. GET http:\/\/127\.0\.0\.1:\d+\/file without a token: 402 Payment Required/);
      assert.match(stdout, /6\. The same token again: 409 token_replayed/);
      assert.match(stdout, /Purchase complete: .*handbook\.txt is the file on sale\./);
      const sold = readFileSync(join(dataDir, 'handbook.txt'));
      assert.ok(readFileSync(join(dataDir, 'downloads', 'handbook.txt')).equals(sold));
      for (const who of ['issuer', 'seller', 'buyer']) {
        assert.equal(statSync(join(dataDir, `${who}.key.json`)).mode & 0o777, 0o600, `${who}.key.json is 0600`);
      }
    });

    test('the printed buyer commands work, run as printed through the real CLI and curl', async () => {
      const buyerKey = readFileSync(join(dataDir, 'buyer.key.json'), 'utf8');
      const buyerDir = join(dataDir, 'buyer-shell');
      mkdirSync(buyerDir);
      const demo = await startDemo({
        dataDir,
        nodePort: 0,
        port: 0,
        blockIntervalMs: 50,
        nodeLogLevel: 'silent',
        log: () => {},
        cwd: buyerDir,
      });
      try {
        const printed = banner(demo);
        for (const command of demo.commands) assert.ok(printed.includes(command), `printed: ${command}`);
        const [transfer, token, curl] = demo.commands;
        const shell = (command) =>
          run('/bin/sh', ['-c', command.replace(/^npx webwallet /, `"${process.execPath}" "${CLI}" `)], {
            cwd: buyerDir,
            timeout: 20_000,
          });

        const paid = await shell(transfer);
        const id = /^\s+id\s+(\S+)$/m.exec(paid.stdout)?.[1];
        assert.ok(id, paid.stdout);
        assert.ok(token.includes('--transaction <id>'));
        const created = await shell(token.replace('<id>', id));
        assert.match(created.stdout, /Wrote a full payer token/);
        await shell(curl);
        assert.ok(readFileSync(join(buyerDir, 'handbook.txt')).equals(readFileSync(demo.file)));
        await assert.rejects(shell(curl), (error) => error.code === 22, 'curl -f: the second presentation is refused');
        assert.ok(
          readFileSync(join(buyerDir, 'handbook.txt')).equals(readFileSync(demo.file)),
          'the refusal kept the file',
        );

        // The second start reused the first one's setup: the same buyer, funded once (100.00), who
        // has now paid twice.
        assert.equal(readFileSync(demo.buyer.path, 'utf8'), buyerKey);
        const account = await (await fetch(`${demo.node.url}/v1/accounts/${demo.buyer.publicKey}`)).json();
        assert.equal(account.balances.find((b) => b.currency === 'DEMO')?.available, '90.00');
      } finally {
        await demo.close();
      }
    });
  });
});
