/**
 * Test money end to end (issue 6): a real node (SQLite, blocks every 50 ms) serving the app and
 * its sandbox ledger under /sandbox, and the app in a real headless Chromium. A wallet made with
 * "Test money (sandbox)" ticked lives on <origin>/sandbox; it accepts EUR, the sandbox faucet
 * funds it, it pays a test-mode invoice from the invoice's payment_uri, the receipt verifies
 * offline against the sandbox key (never the live one) and the invoice turns Settled.
 *
 * WALLET_SCREENSHOTS=1 saves docs/wallet/sandbox-home.png.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { verifyReceipt } from '@webwallet/core';
import { readAdminToken } from '@webwallet/server';
import type { Page } from 'playwright-core';
import {
  CURRENCY,
  createWallet,
  newWalletPage,
  type Party,
  SCREEN_TIMEOUT_MS,
  screen,
  screenshot,
  shownBalances,
  text,
  unlock,
  useWalletNode,
  withChromium,
} from './harness.node.js';

type Json = Record<string, unknown>;

describe('a wallet on the sandbox ledger pays a test invoice', { timeout: 120_000 }, () => {
  const world = useWalletNode();

  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<Json> => {
    const response = await fetch(`${world.node.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const answer = (await response.json()) as Json;
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };

  test('faucet, pay, receipt verified with the sandbox key, invoice Settled', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const info = await call('GET', '/sandbox/.well-known/webwallet');
      assert.equal(info.api_base_url, `${world.node.url}/sandbox`);
      assert.match(String(info.name), /sandbox/);
      const sandboxKey = String(info.public_key);
      assert.equal(sandboxKey, world.node.sandboxLedger.nodePublicKey);
      assert.notEqual(sandboxKey, world.node.nodeKey.publicKey);

      // A store and its test key; the faucet issues EUR on the sandbox at its first use.
      const signUp = await call('POST', '/v1/merchants', readAdminToken(join(world.dir, 'admin-token')), {
        name: 'Sandbox Shop',
      });
      const testKey = (signUp.keys as { test: string }).test;
      const store = signUp.store as { test_account: string };
      await call('POST', '/v1/sandbox/faucet', testKey, {
        account: store.test_account,
        currency: CURRENCY,
        amount: '1.00',
      });

      const { context, page, problems } = await newWalletPage(browser, world);
      const { account } = await createWallet(page, world.node.url, { sandbox: true });
      assert.match(await text(page, '#test-money'), /^Test money/);
      await acceptEur(page, account);

      await call('POST', '/v1/sandbox/faucet', testKey, { account: account.id, currency: CURRENCY, amount: '50.00' });
      await page.reload();
      await unlock(page);
      await screen(page, 'home');
      assert.deepEqual(await shownBalances(page, account.id), { EUR: '50.00' });
      await screenshot(page, 'sandbox-home');
      const live = await world.client.account(account.id);
      assert.ok(live.ok && live.value === undefined, 'the account exists on the sandbox ledger only');

      const invoice = await call('POST', '/v1/invoices', testKey, { amount: '12.50', currency: CURRENCY });
      assert.equal(invoice.mode, 'test');
      const checkout = await call('GET', `/v1/checkout/${String(invoice.id)}`);
      const uri = String(checkout.payment_uri);
      assert.equal(new URLSearchParams(uri.split('?')[1]).get('node'), `${world.node.url}/sandbox`);

      await page.goto(`${world.node.url}/wallet/#pay=${encodeURIComponent(uri)}`);
      await page.waitForSelector('#review-amount', { timeout: SCREEN_TIMEOUT_MS });
      assert.equal(await text(page, '#review-amount'), '12.50 EUR');
      await page.click('#pay-button');
      await page.waitForSelector('#receipt-status[data-verified="yes"]', { timeout: SCREEN_TIMEOUT_MS });
      assert.equal(await text(page, '#receipt-status'), 'Verified offline');

      const settled = await settledInvoice(String(invoice.id), testKey);
      const [payment] = settled.payments as { transaction_id: string; from: string }[];
      assert.equal(payment?.from, account.id);
      const sealed = await call('GET', `/sandbox/v1/transactions/${payment?.transaction_id}?wait_ms=5000`);
      assert.ok((await verifyReceipt(sealed.receipt, [sandboxKey])).ok, 'verifies with the sandbox key');
      const asLive = await verifyReceipt(sealed.receipt, [world.node.nodeKey.publicKey]);
      assert.equal(asLive.ok, false, 'a test receipt never verifies as a live one');
      assert.deepEqual(problems, []);
      await context.close();
    }));

  /** The app's "Accept a currency" form on the account's card, answered by the sandbox ledger. */
  async function acceptEur(page: Page, account: Party): Promise<void> {
    const form = `section[data-account="${account.id}"] details.accept-currency`;
    await page.click(`${form} summary`);
    await page.fill('#accept-0-currency', CURRENCY);
    await page.click(`${form} .accept-submit`);
    await page.waitForFunction(
      () => (document.getElementById('accept-0-message')?.textContent ?? '').startsWith('Done'),
      undefined,
      { timeout: SCREEN_TIMEOUT_MS },
    );
  }

  async function settledInvoice(id: string, key: string): Promise<Json> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS;
    for (;;) {
      const view = await call('GET', `/v1/invoices/${id}`, key);
      if (view.status === 'Settled') return view;
      assert.ok(Date.now() < deadline, `invoice still ${String(view.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
});
