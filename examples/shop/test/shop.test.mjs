/**
 * The integration guide (../README.md), step by step, against real things only: a real node
 * started in-process, the real shop over HTTP, and the checkout page in a real headless Chromium.
 * Each test is named after the guide's step it exercises ("## 4. …" in the README), and the steps
 * run in the README's order, each building on the one before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import {
  signWebhookPayload,
  WebWalletMerchant,
  WebWalletNotFoundError,
  WebWalletPermissionError,
} from '@webwallet/merchant';
import { startNode } from '@webwallet/server';
import { launchChromium, requireChromium } from '@webwallet/testkit';
import { PRICE, SESSION_COOKIE, startShop } from '../shop.mjs';

const EXAMPLE_DIR = join(import.meta.dirname, '..');
const GUIDE = readFileSync(join(EXAMPLE_DIR, 'README.md'), 'utf8');
/** The guide's numbered steps: "## 4. Create an invoice and redirect to checkout" → 4 → its title. */
const STEPS = new Map([...GUIDE.matchAll(/^## (\d+)\. (.+)$/gm)].map(([, n, title]) => [Number(n), title]));
const step = (n, detail) => {
  const title = STEPS.get(n) ?? 'missing from the README';
  return `step ${n}: ${title[0].toLowerCase()}${title.slice(1)}${detail ? ` (${detail})` : ''}`;
};

/** Polls `check` until it returns something truthy, or fails with `what` after `timeout_ms`. */
async function waitFor(what, check, timeout_ms = 20_000) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A buyer without a browser: a cookie jar over fetch. Redirects are not followed, so they can be checked. */
function buyer(shopUrl) {
  let cookie;
  return {
    get cookie() {
      return cookie;
    },
    async request(path, init = {}) {
      const headers = { ...init.headers, ...(cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}) };
      const response = await fetch(`${shopUrl}${path}`, { ...init, headers, redirect: 'manual' });
      for (const header of response.headers.getSetCookie()) {
        const match = new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(header);
        if (match) cookie = match[1];
      }
      return response;
    },
  };
}

describe('integration guide (examples/shop/README.md), followed step by step', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ww-shop-'));
  const shopLog = [];
  let node;
  let keys;
  let ww;
  let shop;
  let endpoint;
  /** The HTTP buyer of steps 4 to 6, and the order they placed. */
  const alice = { client: undefined, orderId: undefined, invoiceId: undefined };

  after(async () => {
    await shop?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the guide has steps 1 to 7, in order', { timeout: 5_000 }, () => {
    assert.deepEqual([...STEPS.keys()], [1, 2, 3, 4, 5, 6, 7]);
  });

  test(step(1), { timeout: 60_000 }, async () => {
    node = await startNode({
      port: 0,
      data_dir: dataDir,
      log_level: 'silent',
      webhook_allow_private: true, // the shop listens on loopback
      block_interval_ms: 100, // payments are sealed (and invoices settle) within a tenth of a second
    });
    const health = await fetch(`${node.url}/healthz`);
    assert.equal(health.status, 200);
  });

  test(step(2, 'POST /v1/merchants with the admin token'), { timeout: 30_000 }, async () => {
    const body = JSON.stringify({ name: 'Members Club' });
    const headers = { 'content-type': 'application/json' };
    const anonymous = await fetch(`${node.url}/v1/merchants`, { method: 'POST', headers, body });
    assert.equal(anonymous.status, 403, 'sign-up needs the admin token');

    const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const response = await fetch(`${node.url}/v1/merchants`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${adminToken}` },
      body,
    });
    assert.equal(response.status, 201);
    const signup = await response.json();
    assert.match(signup.merchant.id, /^mer_/);
    assert.match(signup.store.id, /^st_/);
    assert.match(signup.keys.test, /^ww_test_[0-9A-Za-z]{32}$/);
    assert.match(signup.keys.live, /^ww_live_[0-9A-Za-z]{32}$/);
    keys = signup.keys;
  });

  test(step(3), { timeout: 30_000 }, async () => {
    const manifest = JSON.parse(readFileSync(join(EXAMPLE_DIR, 'package.json'), 'utf8'));
    assert.ok(manifest.dependencies['@webwallet/merchant'], 'the shop depends on the SDK');
    ww = new WebWalletMerchant({ apiKey: keys.test, baseUrl: node.url });
    assert.equal(ww.mode, 'test');
    const balance = await ww.balance.retrieve(); // the key works
    assert.equal(balance.mode, 'test');
  });

  test(step(4), { timeout: 30_000 }, async () => {
    shop = await startShop({ nodeUrl: node.url, apiKey: keys.test, port: 0, log: (line) => shopLog.push(line) });
    alice.client = buyer(shop.url);

    const home = await alice.client.request('/');
    assert.equal(home.status, 200);
    const homeHtml = await home.text();
    assert.match(homeHtml, /Buy membership — 5\.00 USD/);
    assert.match(homeHtml, /<form method="post" action="\/buy">/);

    const bought = await alice.client.request('/buy', { method: 'POST' });
    assert.equal(bought.status, 303);
    const location = bought.headers.get('location');
    assert.match(location, new RegExp(`^${node.url}/i/inv_[0-9a-z]+$`));
    const [setCookie] = bought.headers.getSetCookie();
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Lax/);
    assert.ok(alice.client.cookie);

    alice.invoiceId = location.split('/').pop();
    const invoice = await ww.invoices.retrieve(alice.invoiceId);
    assert.equal(invoice.mode, 'test');
    assert.equal(invoice.status, 'New');
    assert.equal(invoice.amount, PRICE.amount);
    assert.equal(invoice.currency, PRICE.currency);
    assert.equal(invoice.redirect_url, `${shop.url}/members`);
    assert.deepEqual(invoice.metadata, { product: 'membership' });
    assert.equal(invoice.checkout_url, location);
    alice.orderId = invoice.order_id;
    assert.equal(shop.orders.get(alice.orderId)?.invoice_id, invoice.id);
    assert.equal(shop.orders.get(alice.orderId)?.status, 'pending');

    const checkout = await fetch(location);
    assert.equal(checkout.status, 200);
    assert.match(await checkout.text(), /id="sandbox-pay"/);

    const members = await alice.client.request('/members');
    const pending = await members.text();
    assert.match(pending, /id="pending"/);
    assert.match(pending, /<meta http-equiv="refresh" content="2">/);
    assert.doesNotMatch(pending, /id="members"/);
    const stranger = await fetch(`${shop.url}/members`);
    assert.match(await stranger.text(), /id="not-paid"/);
  });

  test(step(5, 'register the endpoint; forged deliveries get 400'), { timeout: 30_000 }, async () => {
    endpoint = await ww.webhooks.create({ url: shop.webhookUrl, events: ['invoice.settled'] });
    assert.match(endpoint.secret, /^whsec_/);
    shop.setWebhookSecret(endpoint.secret);

    // What an attacker would post to unlock alice's order without paying.
    const invoice = await ww.invoices.retrieve(alice.invoiceId);
    const forged = JSON.stringify({
      id: 'evt_forged',
      type: 'invoice.settled',
      mode: 'test',
      store_id: invoice.store_id,
      created_at: new Date().toISOString(),
      data: { invoice: { ...invoice, status: 'Settled', settled_at: new Date().toISOString() } },
    });
    const post = (body, signature) =>
      fetch(shop.webhookUrl, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(signature ? { 'webwallet-signature': signature } : {}) },
      });
    const attempts = [
      ['header_missing', await post(forged)],
      ['signature_mismatch', await post(forged, await signWebhookPayload(forged, 'whsec_guessed'))],
      // Signed with the real secret over other bytes: the signature covers the raw body.
      ['signature_mismatch', await post(forged, await signWebhookPayload(`${forged} `, endpoint.secret))],
      // A genuine-looking but hour-old signature: a replay.
      [
        'timestamp_outside_tolerance',
        await post(forged, await signWebhookPayload(forged, endpoint.secret, Math.floor(Date.now() / 1000) - 3600)),
      ],
    ];
    for (const [reason, response] of attempts) {
      assert.equal(response.status, 400, reason);
      assert.equal(await response.text(), reason);
    }
    assert.equal(shop.orders.get(alice.orderId).status, 'pending', 'nothing unlocked');
    assert.match(await (await alice.client.request('/members')).text(), /id="pending"/);
  });

  test(step(6, 'pay from a dummy payer through the API'), { timeout: 60_000 }, async () => {
    const invoiceId = alice.invoiceId;
    await ww.sandbox.payInvoice(invoiceId); // pays from dummy payer 1

    // The node settles the invoice once a block seals the payment, then delivers invoice.settled.
    await waitFor('the shop to receive invoice.settled', () => shop.orders.get(alice.orderId).status === 'paid');
    const invoice = await ww.invoices.retrieve(invoiceId);
    assert.equal(invoice.status, 'Settled');
    const members = await alice.client.request('/members');
    assert.equal(members.status, 200);
    const membersHtml = await members.text();
    assert.match(membersHtml, /id="members"/);
    assert.match(membersHtml, new RegExp(`invoice ${invoiceId}`));
    // Only alice's session is unlocked.
    assert.match(await (await fetch(`${shop.url}/members`)).text(), /id="not-paid"/);

    // The node's delivery log agrees, and a redelivery of the same event is recognised as a duplicate.
    const { items } = await ww.webhooks.deliveries(endpoint.id);
    const delivery = items.find((d) => d.event_type === 'invoice.settled');
    assert.equal(delivery?.status, 'succeeded');
    assert.equal(delivery.last_status_code, 200);
    assert.equal(shop.orders.get(alice.orderId).event_id, delivery.event_id);
    await ww.webhooks.redeliver(endpoint.id, delivery.id);
    await waitFor('the redelivery', () => shopLog.includes(`webhook ${delivery.event_id}: already handled`));
    assert.equal(shopLog.filter((line) => line.includes('membership unlocked')).length, 1);
  });

  test(step(6, 'pay with the checkout page\'s "Pay with test wallet" button in Chromium'), {
    timeout: 120_000,
  }, async (t) => {
    const chromium = requireChromium(t);
    if (!chromium) return;
    const browser = await launchChromium(chromium);
    try {
      const page = await browser.newPage();
      await page.goto(shop.url);
      await page.click('#buy');
      await page.waitForURL(new RegExp(`^${node.url}/i/inv_`), { timeout: 20_000 });
      assert.match(await page.textContent('body'), /Test mode/);
      await page.click('#sandbox-pay');
      // The checkout page shows "Paid", then follows the invoice's redirect_url back to the shop.
      await page.waitForURL(`${shop.url}/members`, { timeout: 30_000 });
      await page.waitForSelector('#members', { timeout: 30_000 }); // after a "pending" refresh or two, at most
      assert.match(await page.textContent('#members'), /Welcome to the members-only page/);

      const [cookie] = await page.context().cookies(shop.url);
      assert.equal(cookie?.name, SESSION_COOKIE);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
    } finally {
      await browser.close();
    }
  });

  test(step(7, 'the same code with the ww_live_ key, paid from a real wallet'), { timeout: 60_000 }, async () => {
    // Real money needs a currency issued on the node's ledger (the sandbox issues its own play
    // money). On this fresh node the operator issues USD and funds a buyer's self-custody account.
    const issuer = 'acc_usd_issuer';
    const payerKeys = await generateKeyPair();
    const payer = encodePrefixed('pub', payerKeys.publicKey);
    for (const document of [
      await transaction('ledger.account.create', { account: issuer }),
      await transaction('ledger.currency.issue', { issuer, currency: 'USD', scale: 2 }),
      await transaction('ledger.account.create', { account: payer }, [payerKeys]),
      await transaction('ledger.trust.set', { holder: payer, currency: 'USD', limit: '100.00' }, [payerKeys]),
      await transaction('ledger.transfer', { legs: [{ from: issuer, to: payer, currency: 'USD', amount: '20.00' }] }),
    ]) {
      const [result] = await node.ledger.submit([document], { nodeAuthorized: true });
      assert.equal(result?.status, 'accepted', JSON.stringify(result));
    }

    const liveLog = [];
    const liveShop = await startShop({
      nodeUrl: node.url,
      apiKey: keys.live,
      port: 0,
      log: (line) => liveLog.push(line),
    });
    try {
      assert.equal(liveShop.mode, 'live');
      const live = new WebWalletMerchant({ apiKey: keys.live, baseUrl: node.url });
      // Webhook endpoints belong to one mode: the live shop registers its own and gets its own secret.
      assert.deepEqual((await live.webhooks.list()).items, []);
      const liveEndpoint = await live.webhooks.create({ url: liveShop.webhookUrl, events: ['invoice.settled'] });
      assert.notEqual(liveEndpoint.secret, endpoint.secret);
      liveShop.setWebhookSecret(liveEndpoint.secret);

      const bob = buyer(liveShop.url);
      const bought = await bob.request('/buy', { method: 'POST' });
      assert.equal(bought.status, 303, liveLog.join('\n'));
      const invoice = await live.invoices.retrieve(bought.headers.get('location').split('/').pop());
      assert.equal(invoice.mode, 'live');
      assert.equal(invoice.amount, PRICE.amount);
      // Live and test are separate worlds: the test key cannot see the invoice, play money cannot pay it.
      await assert.rejects(ww.invoices.retrieve(invoice.id), WebWalletNotFoundError);
      await assert.rejects(live.sandbox.payInvoice(invoice.id), (error) => {
        assert.ok(error instanceof WebWalletPermissionError);
        assert.equal(error.code, 'sandbox_only');
        return true;
      });
      assert.doesNotMatch(await (await fetch(invoice.checkout_url)).text(), /id="sandbox-pay"/);

      // A wallet pays as the payment URI says: a transfer signed by the buyer, memo = the invoice id.
      const document = await transaction(
        'ledger.transfer',
        { legs: [{ from: payer, to: invoice.payee, currency: 'USD', amount: invoice.amount }], memo: invoice.id },
        [payerKeys],
      );
      const paid = await fetch(`${node.url}/v1/checkout/${invoice.id}/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ document }),
      });
      assert.equal(paid.status, 200, await paid.clone().text());
      await waitFor(
        'the live shop to receive invoice.settled',
        () => liveShop.orders.get(invoice.order_id).status === 'paid',
      );
      assert.match(await (await bob.request('/members')).text(), /id="members"/);
    } finally {
      await liveShop.close();
    }
  });
});

describe("the guide's code snippets are the real code", { timeout: 10_000 }, () => {
  /** ```js blocks that start with "// from <file>"; a "// …" line marks an elision. */
  const snippets = [...GUIDE.matchAll(/```js\n *\/\/ from (\S+)\n([\s\S]*?)```/g)].map(([, file, code]) => ({
    file,
    code,
  }));
  const lines = (text) =>
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');

  test('the guide quotes the shop, the launcher and this test', { timeout: 5_000 }, () => {
    const files = new Set(snippets.map((s) => s.file));
    for (const file of ['shop.mjs', 'dev.mjs', 'test/shop.test.mjs']) assert.ok(files.has(file), file);
  });

  for (const [i, { file, code }] of snippets.entries()) {
    test(`snippet ${i + 1} is in ${file}`, { timeout: 5_000 }, () => {
      const source = lines(readFileSync(join(EXAMPLE_DIR, file), 'utf8'));
      for (const chunk of code.split(/^\s*\/\/ …\s*$/m)) {
        const wanted = lines(chunk);
        if (wanted.length === 0) continue;
        const found = source.some((_, start) => wanted.every((line, k) => source[start + k] === line));
        assert.ok(found, `these lines of README.md are not in ${file} as written:\n${wanted.join('\n')}`);
      }
    });
  }
});
