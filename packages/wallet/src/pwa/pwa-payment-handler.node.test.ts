/**
 * The wallet as a web-based payment handler (W3C Payment Handler API), end to end in a real
 * headless Chromium: a merchant page on another origin (a second loopback port) calls
 * `new PaymentRequest([{ supportedMethods: "<node>/pay", data: { payment_uri } }], …).show()`.
 * Chromium reads the node's payment method manifest, installs the wallet's service worker from
 * the web app manifest's "serviceworker" entry, fires `paymentrequest` in it, and the worker
 * opens the wallet window; the test unlocks and pays there (through the DevTools protocol: the
 * window is not a tab, so Playwright does not list it). The merchant gets the transaction and a
 * payer token for its origin, which it verifies offline; a cancelled request pays nothing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, type TestContext, test } from 'node:test';
import { verifyPayerToken } from '@webwallet/core';
import { HiddenWindow } from '@webwallet/testkit';
import type { Page } from 'playwright-core';
import { formatPaymentUri } from '../pay/payment-uri.js';
import {
  available,
  CURRENCY,
  createWallet,
  newWalletPage,
  PASSPHRASE,
  SCREEN_TIMEOUT_MS,
  screen,
  useWalletNode,
  withChromium,
} from './harness.node.js';

/** The merchant's page: a Buy button that asks for a payment through the Payment Request API. */
const MERCHANT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,"></head>
<body><button id="buy">Buy</button><pre id="result"></pre><script src="/shop.js"></script></body></html>`;

const MERCHANT_SCRIPT = `
const params = new URLSearchParams(location.search);
document.getElementById('buy').addEventListener('click', async () => {
  const out = document.getElementById('result');
  try {
    const request = (window.shopRequest = new PaymentRequest(
      [{ supportedMethods: params.get('method'), data: { payment_uri: params.get('uri') } }],
      { total: { label: 'Tea', amount: { currency: 'EUR', value: params.get('amount') } } },
    ));
    const response = await request.show();
    await response.complete('success');
    out.dataset.outcome = 'paid';
    out.textContent = JSON.stringify({ method: response.methodName, details: response.details });
  } catch (error) {
    out.dataset.outcome = 'failed';
    out.textContent = JSON.stringify({ name: error.name, message: error.message });
  }
});`;

async function serveMerchant(): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://merchant').pathname;
    if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(MERCHANT_PAGE);
    else if (path === '/shop.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(MERCHANT_SCRIPT);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Outcome {
  readonly outcome: string;
  readonly value: { method?: string; details?: Record<string, unknown>; name?: string; message?: string };
}

async function outcome(page: Page): Promise<Outcome> {
  await page.waitForSelector('#result[data-outcome]', { timeout: SCREEN_TIMEOUT_MS });
  return page.$eval('#result', (pre) => ({
    outcome: (pre as HTMLElement).dataset.outcome ?? '',
    value: JSON.parse(pre.textContent ?? '{}'),
  }));
}

describe('the wallet as a payment handler for a page on another origin', { timeout: 120_000 }, () => {
  const world = useWalletNode();
  let merchant: { server: Server; origin: string };

  before(async () => {
    merchant = await serveMerchant();
  });

  after(() => {
    merchant?.server.close();
  });

  test('PaymentRequest.show() pays through the wallet window; cancelling pays nothing', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const { context, page: walletPage, problems } = await newWalletPage(browser, world);
      const { account } = await createWallet(walletPage, world.node.url);
      await world.fund(account);

      const shop = await context.newPage();
      const method = `${world.node.url}/pay`;
      const uri = formatPaymentUri({
        node: world.node.url,
        to: world.payee.id,
        amount: '4.20',
        currency: CURRENCY,
        memo: 'tea-1',
      });
      const query = new URLSearchParams({ method, uri, amount: '4.20' });
      await shop.goto(`${merchant.origin}/?${query}`);
      assert.equal(await shop.evaluate(() => typeof PaymentRequest), 'function');

      // Paid: unlock in the wallet window, review, Pay.
      const opened = async () => {
        const known = await HiddenWindow.pageTargets(browser);
        await shop.click('#buy');
        return HiddenWindow.find(browser, `${world.node.url}/wallet/`, { known });
      };
      let paidTransaction = '';
      const handler = await opened();
      try {
        assert.equal(await handler.waitFor('#payment-request'), `Payment requested by ${merchant.origin}`);
        await handler.waitFor('main[data-screen="unlock"]');
        await handler.fill('#unlock-passphrase', PASSPHRASE);
        await handler.click('#unlock');
        assert.equal(await handler.waitFor('#review-amount'), '4.20 EUR');
        assert.equal(await handler.waitFor('#review-payee'), world.payee.id);
        // Cancel pressed right after Pay does nothing: the payment is on its way, and the
        // merchant must hear "paid" (a review found it told "cancelled" while the money moved).
        await handler.waitFor('#pay-button');
        assert.equal(
          await handler.evaluate(`(() => {
            document.querySelector('#pay-button').click();
            document.querySelector('#cancel-pay').click();
            return document.querySelector('#cancel-pay').disabled;
          })()`),
          true,
        );
        const paid = await outcome(shop);
        assert.equal(paid.outcome, 'paid', JSON.stringify(paid.value));
        assert.equal(paid.value.method, method);
        const details = paid.value.details ?? {};
        assert.equal(details.payment_uri, uri);
        assert.equal(details.node_key, world.node.nodeKey.publicKey);
        // The merchant checks the payer token offline: signed by the payer, for its origin, in a signed block.
        const verified = await verifyPayerToken(String(details.payer_token), {
          trusted_nodes: [{ public_key: world.node.nodeKey.publicKey }],
          expect: {
            payee: world.payee.id,
            amount: '4.20',
            currency: CURRENCY,
            reference: 'tea-1',
            audience: merchant.origin,
          },
        });
        assert.ok(verified.ok, JSON.stringify(verified));
        assert.equal(verified.value.source, 'receipt');
        assert.equal(verified.value.claims.payer, account.id);
        assert.equal(verified.value.claims.payment.transaction, details.transaction_id);
        paidTransaction = String(details.transaction_id);
      } finally {
        await handler.detach();
      }
      assert.equal(await available(world.client, world.payee.id), '4.20');
      assert.equal(await available(world.client, account.id), '95.80');

      // Cancelled: the merchant's show() rejects, and nothing moves.
      await shop.reload();
      const second = await opened();
      try {
        await second.waitFor('main[data-screen="unlock"]');
        await second.fill('#unlock-passphrase', PASSPHRASE);
        await second.click('#unlock');
        await second.waitFor('#review-amount');
        assert.match(
          await second.waitFor('#review-paid-before'),
          /^You already paid 4\.20 EUR to this payee for “tea-1” on /,
        );
        await second.click('#cancel-pay');
        assert.equal(await second.waitFor('#payment-request-result'), 'Cancelled. Nothing was paid.');
        // Chromium keeps the merchant's show() pending after a payment app declines (rejecting
        // respondWith does not reach the page); the page may give up at any time, and the
        // wallet's worker agrees.
        assert.equal(
          await shop.evaluate(() =>
            (window as unknown as { shopRequest: PaymentRequest }).shopRequest.abort().then(() => 'aborted'),
          ),
          'aborted',
        );
        const cancelled = await outcome(shop);
        assert.equal(cancelled.outcome, 'failed');
        assert.equal(cancelled.value.name, 'AbortError', JSON.stringify(cancelled.value));
      } finally {
        await second.detach();
      }
      assert.equal(await available(world.client, world.payee.id), '4.20');

      // A page whose stated total is not what its link charges is refused before anything is signed.
      await shop.goto(`${merchant.origin}/?${new URLSearchParams({ method, uri, amount: '1.00' })}`);
      const third = await opened();
      try {
        assert.equal(
          await third.waitFor('#payment-request-problem'),
          `${merchant.origin} shows 1.00 EUR as the total, but its payment link charges 4.20 EUR. Nothing was paid.`,
        );
      } finally {
        await third.detach();
      }
      await shop.evaluate(() => (window as unknown as { shopRequest: PaymentRequest }).shopRequest.abort());
      assert.equal((await outcome(shop)).value.name, 'AbortError');
      assert.equal(await available(world.client, world.payee.id), '4.20');

      // The wallet kept the receipt: it is on the home screen of the wallet's own tab.
      await walletPage.reload();
      await screen(walletPage, 'unlock');
      await walletPage.fill('#unlock-passphrase', PASSPHRASE);
      await walletPage.click('#unlock');
      await screen(walletPage, 'home');
      const key = `${world.node.nodeKey.publicKey}/${paidTransaction}`;
      await walletPage.waitForSelector(`#receipts li[data-key="${key}"]`, { timeout: SCREEN_TIMEOUT_MS });
      assert.equal(await walletPage.$$eval('#receipts li', (items) => items.length), 1);
      assert.deepEqual(problems, []);
    }));
});
