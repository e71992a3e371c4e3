/**
 * The wallet web app (packages/wallet/pwa) end to end, against real things only: a real node
 * serving /wallet/ (built in memory from the sources), a real ledger sealing blocks every 50 ms,
 * and the app in a real headless Chromium. The wallet is created in the page; the test reads the
 * recovery phrase from the page and derives the same account key here to fund the account, then
 * pays a payment URI and a live checkout invoice, reloads, goes offline and restores elsewhere.
 *
 * WALLET_SCREENSHOTS=1 saves the main screens to docs/wallet/*.png (CI leaves them alone).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { type RunningNode, readAdminToken } from '@webwallet/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accountKeyPair, KDF_DEFAULT, walletSeed } from '../index.js';
import type { NodeClient } from '../node/node-client.js';
import { formatPaymentUri } from '../pay/payment-uri.js';
import {
  available,
  CURRENCY,
  choosePassphrase,
  fitsWidth,
  newWalletPage,
  type Party,
  party,
  REPO_DIR,
  SCREEN_TIMEOUT_MS,
  screen,
  screenshot,
  shownBalances,
  storedRecords,
  text,
  unlock,
  useWalletNode,
  watch,
  withChromium,
} from './harness.node.js';

describe('the wallet web app in Chromium', { timeout: 90_000 }, () => {
  const world = useWalletNode();
  let node: RunningNode;
  let dir: string;
  let client: NodeClient;
  let payee: Party;

  before(() => {
    ({ node, dir, client, payee } = world);
  });

  test('create, fund, pay a URI and a checkout invoice, reload, go offline, restore', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const { context, page, problems } = await newWalletPage(browser, world);
      const started = performance.now();
      const phrase = await createWallet(page);
      const account = await checkAccount(page, phrase);
      t.diagnostic(`wallet created in the page in ${(performance.now() - started).toFixed(0)} ms`);
      await fund(account);
      await payUri(page, account);
      await reloadAndUnlock(page);
      // A second tab, unlocked now, holds the wallet as it is before the next payment.
      const stale = await context.newPage();
      const staleProblems = watch(stale, node.url);
      await stale.goto(`${node.url}/wallet/`);
      await unlock(stale);
      await screen(stale, 'home');
      await payCheckoutInvoice(page, account);
      await payFromStaleTab(stale, account);
      assert.deepEqual(staleProblems, []);
      await stale.close();
      await lockAndUnlock(page);
      await refusals(page);
      await protocolHandler(page);
      await offline(page, context);
      assert.deepEqual(problems, []);
      await context.close();
      await restoreElsewhere(browser, phrase, account.party.id);
    }));

  /** First run: the phrase is shown once, three of its words are asked back, then a passphrase. */
  async function createWallet(page: Page): Promise<string> {
    await page.goto(`${node.url}/wallet`);
    assert.equal(page.url(), `${node.url}/wallet/`, '/wallet redirects to /wallet/');
    await screen(page, 'welcome');
    await fitsWidth(page);
    await screenshot(page, 'first-run');
    await page.click('#create');
    await screen(page, 'phrase');
    const words = await page.$$eval('#phrase li', (items) => items.map((li) => li.textContent ?? ''));
    assert.equal(words.length, 24);
    assert.equal(await page.isDisabled('#phrase-continue'), true, 'continue waits for "I have written it down"');
    await fitsWidth(page);
    await screenshot(page, 'recovery-phrase');
    await page.check('#phrase-saved');
    await page.click('#phrase-continue');
    await screen(page, 'confirm');
    const positions = await page.$$eval('input[data-position]', (inputs) =>
      inputs.map((input) => Number(input.getAttribute('data-position'))),
    );
    assert.equal(new Set(positions).size, 3);
    // A wrong word is caught and named.
    for (const position of positions) await page.fill(`#confirm-${position}`, words[position - 1] ?? '');
    const [firstPosition] = positions as [number];
    await page.fill(`#confirm-${firstPosition}`, 'wrong');
    await page.click('#confirm-words');
    assert.match(await text(page, '#confirm-message'), new RegExp(`Word ${firstPosition} does not match`));
    await page.fill(`#confirm-${firstPosition}`, ` ${(words[firstPosition - 1] ?? '').toUpperCase()} `);
    await page.click('#confirm-words');
    await screen(page, 'passphrase');
    await page.fill('#passphrase', 'short');
    await page.fill('#passphrase-again', 'short');
    await page.click('#set-passphrase');
    assert.match(await text(page, '#passphrase-message'), /at least 8 characters/);
    await choosePassphrase(page);
    await screen(page, 'home');
    return words.join(' ');
  }

  /** The account in the page is the one the phrase derives, open on the node; the phrase is stored sealed only. */
  async function checkAccount(page: Page, phrase: string) {
    const seed = await walletSeed(phrase);
    assert.ok(seed.ok);
    const me = await party(await accountKeyPair(seed.value, 0));
    assert.equal(await page.getAttribute('section.account', 'data-account'), me.id);
    const view = await client.account(me.id);
    assert.ok(view.ok && view.value, 'the wallet opened its account on the node');
    assert.deepEqual(await shownBalances(page, me.id), {});
    const { wallet: record } = await storedRecords(page);
    assert.ok(record, 'the wallet is stored');
    const bytes = (b: unknown) => (b instanceof Uint8Array ? String.fromCharCode(...b) : String(b));
    const stored = {
      keys: Object.keys(record).sort(),
      kdf: record.kdf,
      node_key: record.node_key,
      everything: Object.values(record).map(bytes).join('\n'),
    };
    assert.deepEqual(stored.keys, [
      'created_at',
      'document',
      'kdf',
      'node_key',
      'node_url',
      'salt',
      'secrets',
      'version',
      'wallet_id',
    ]);
    assert.deepEqual(stored.kdf, KDF_DEFAULT);
    assert.equal(stored.node_key, node.nodeKey.publicKey);
    for (const word of new Set(phrase.split(' ').filter((w) => w.length >= 5))) {
      assert.ok(!stored.everything.includes(word), 'no word of the phrase is stored in the clear');
    }
    assert.ok(!stored.everything.includes(me.id), 'the account list is sealed too');
    return { party: me };
  }

  /** The issuer funds the wallet's account; the trust line is signed with the key derived here. */
  async function fund(account: { party: Party }): Promise<void> {
    await world.fund(account.party);
  }

  /** /wallet/#pay=<URI> -> review -> Pay -> the receipt, verified offline; the payee is paid once. */
  async function payUri(page: Page, account: { party: Party }): Promise<void> {
    // Home again (through Pay and Cancel): the balance is read from the node each time.
    await page.click('#open-pay');
    await screen(page, 'pay');
    await page.click('#cancel-entry');
    await screen(page, 'home');
    assert.deepEqual(await shownBalances(page, account.party.id), { EUR: '100.00' });
    await fitsWidth(page);
    await screenshot(page, 'home');

    const uri = formatPaymentUri({
      node: node.url,
      to: payee.id,
      amount: '12.50',
      currency: CURRENCY,
      memo: 'order-7',
    });
    await page.goto(`${node.url}/wallet/#pay=${encodeURIComponent(uri)}`);
    await page.waitForSelector('#review-amount', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await text(page, '#review-amount'), '12.50 EUR');
    assert.equal(await text(page, '#review-payee'), payee.id);
    assert.equal(await text(page, '#review-memo'), 'order-7');
    assert.equal(await text(page, '#review-balance'), '100.00 EUR');
    assert.equal(await page.$('#review-insufficient'), null);
    assert.equal(await page.evaluate(() => location.hash), '', 'the URI leaves the address bar');
    await fitsWidth(page);
    await screenshot(page, 'pay-review');

    await page.click('#pay-button');
    await screen(page, 'receipt');
    await page.waitForSelector('#receipt-status[data-verified="yes"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await text(page, '#receipt-status'), 'Verified offline');
    assert.equal(await text(page, '#receipt-amount'), '12.50 EUR');
    assert.equal(await text(page, '#receipt-to'), payee.id);
    assert.equal(await text(page, '#receipt-from'), account.party.id);
    await fitsWidth(page);
    await screenshot(page, 'receipt');

    // Paid exactly once: one transfer to the payee, and the balances moved by 12.50.
    assert.equal(await available(client, payee.id), '12.50');
    assert.equal(await available(client, account.party.id), '87.50');
    const history = await client.accountTransactions(payee.id, { limit: 10 });
    assert.ok(history.ok && history.value);
    assert.equal(history.value.items.filter((item) => item.type === 'ledger.transfer').length, 1);
    const transactionId = await text(page, '#receipt-transaction');
    const sealed = await client.transaction(transactionId);
    assert.ok(sealed.ok && sealed.value?.receipt, 'the receipt shown is the ledger transaction');

    await page.click('#back-home');
    await screen(page, 'home');
    assert.deepEqual(await shownBalances(page, account.party.id), { EUR: '87.50' });
    await page.waitForSelector('#receipts li[data-verified="yes"]');
    assert.match(await text(page, '#receipts li'), /^Paid 12\.50 EUR/);
  }

  /** The wallet is in IndexedDB: a reload asks for the passphrase and shows the same receipt. */
  async function reloadAndUnlock(page: Page): Promise<void> {
    await page.reload();
    await unlock(page, 'not the passphrase');
    await page.waitForSelector('#unlock-message[data-kind="error"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.match(await text(page, '#unlock-message'), /passphrase_wrong/);
    await unlock(page);
    await screen(page, 'home');
    await page.waitForSelector('#receipts li[data-verified="yes"]');
    assert.equal(await page.$$eval('#receipts li', (items) => items.length), 1);
    assert.match(await text(page, '#receipts li'), /^Paid 12\.50 EUR/);
  }

  /**
   * A live invoice of the node's processor, paid from its hosted checkout page's "Pay Now" link
   * (the web+webwallet: URI), opened as the protocol handler would: /wallet/#uri=<URI>. The
   * wallet is locked on arrival: the payment waits for the unlock.
   */
  async function payCheckoutInvoice(page: Page, account: { party: Party }): Promise<void> {
    const admin = readAdminToken(join(dir, 'admin-token'));
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${node.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await response.json()) as Record<string, unknown>;
    };
    const signUp = await call('POST', '/v1/merchants', admin, { name: 'Corner Café' });
    const liveKey = (signUp.keys as { live: string }).live;
    const invoice = (await call('POST', '/v1/invoices', liveKey, { amount: '7.25', currency: CURRENCY })) as {
      id: string;
      payee: string;
    };
    // Another tab: the checkout page is the node's, not the wallet's (Chromium looks for a payment
    // handler for <origin>/pay there and logs that the wallet has none yet).
    const checkout = await page.context().newPage();
    await checkout.goto(`${node.url}/i/${invoice.id}`);
    const payNow = (await checkout.getAttribute('#pay-now', 'href')) ?? '';
    await checkout.close();
    assert.match(payNow, /^web\+webwallet:pay\?/);

    // As a link opens a new tab: a fresh load, so the wallet is locked when the payment arrives.
    await page.goto('about:blank');
    await page.goto(`${node.url}/wallet/#uri=${encodeURIComponent(payNow)}`);
    await screen(page, 'unlock');
    assert.match(await text(page, '#pending-payment'), /payment is waiting/);
    await unlock(page);
    await page.waitForSelector('#review-amount', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await text(page, '#review-amount'), '7.25 EUR');
    assert.equal(await text(page, '#review-payee'), invoice.payee);
    assert.equal(await text(page, '#review-memo'), invoice.id);
    await page.click('#pay-button');
    await page.waitForSelector('#receipt-status[data-verified="yes"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await available(client, account.party.id), '80.25');
    const deadline = Date.now() + 10_000;
    let status = '';
    while (Date.now() < deadline && status !== 'Settled') {
      status = String((await call('GET', `/v1/invoices/${invoice.id}`, liveKey)).status);
      if (status !== 'Settled') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 'Settled', 'the processor matched the payment to the invoice');
    await page.click('#back-home');
    await screen(page, 'home');
    await page.waitForFunction(() => document.querySelectorAll('#receipts li[data-verified="yes"]').length === 2);
  }

  /**
   * The second tab pays without knowing of the first tab's last receipt. Saving merges what the
   * other tab stored (the wallet document is a CRDT): no receipt is lost.
   */
  async function payFromStaleTab(page: Page, account: { party: Party }): Promise<void> {
    assert.equal(await page.$$eval('#receipts li', (items) => items.length), 1);
    const uri = formatPaymentUri({ node: node.url, to: payee.id, amount: '1.00', currency: CURRENCY });
    await page.goto(`${node.url}/wallet/#pay=${encodeURIComponent(uri)}`);
    await page.waitForSelector('#review-amount', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await text(page, '#review-balance'), '80.25 EUR');
    await page.click('#pay-button');
    await page.waitForSelector('#receipt-status[data-verified="yes"]', { timeout: SCREEN_TIMEOUT_MS });
    await page.click('#back-home');
    await screen(page, 'home');
    await page.waitForFunction(() => document.querySelectorAll('#receipts li[data-verified="yes"]').length === 3);
    assert.equal(await available(client, account.party.id), '79.25');
    assert.equal(await available(client, payee.id), '13.50');
  }

  /** Lock, then unlock: the wallet opens as stored now, with the receipt the other tab added. */
  async function lockAndUnlock(page: Page): Promise<void> {
    assert.equal(await page.$$eval('#receipts li', (items) => items.length), 2);
    await page.click('#lock');
    await unlock(page);
    await screen(page, 'home');
    await page.waitForFunction(() => document.querySelectorAll('#receipts li[data-verified="yes"]').length === 3);
  }

  /** What the wallet refuses to pay, saying why, and what the ledger refuses. */
  async function refusals(page: Page): Promise<void> {
    await page.click('#open-pay');
    await screen(page, 'pay');
    const elsewhere = formatPaymentUri({
      node: 'https://other.example',
      to: payee.id,
      amount: '1.00',
      currency: CURRENCY,
    });
    await page.fill('#payment-uri', elsewhere);
    await page.click('#review-button');
    await page.waitForSelector('#pay-entry-message[data-kind="error"]');
    assert.match(await text(page, '#pay-entry-message'), /on the node https:\/\/other\.example/);
    await page.fill('#payment-uri', 'web+webwallet:pay?to=nobody');
    await page.click('#review-button');
    await page.waitForFunction(() =>
      document.getElementById('pay-entry-message')?.textContent?.includes('payment_uri_invalid'),
    );
    await page.click('#cancel-entry');
    await screen(page, 'home');

    // More than the balance: the review warns, the ledger refuses, and Pay may be tried again.
    const tooMuch = formatPaymentUri({ node: node.url, to: payee.id, amount: '1000.00', currency: CURRENCY });
    await page.goto(`${node.url}/wallet/#pay=${encodeURIComponent(tooMuch)}`);
    await page.waitForSelector('#review-insufficient', { timeout: SCREEN_TIMEOUT_MS });
    await page.click('#pay-button');
    await page.waitForSelector('#pay-message[data-kind="error"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.match(await text(page, '#pay-message'), /does not cover this payment\. Code: insufficient_funds\.$/);
    await page.waitForSelector('#pay-button:not([disabled])');
    await page.click('#cancel-pay');
    await screen(page, 'home');
  }

  /** Registering as the web+webwallet: handler needs a click; the page says what happened. */
  async function protocolHandler(page: Page): Promise<void> {
    await page.click('#register-handler');
    await page.waitForFunction(() => (document.getElementById('handler-message')?.textContent ?? '') !== '');
    assert.ok((await text(page, '#handler-message')).length > 10);
  }

  /** With the network cut, the shell loads from the service worker, says it is offline, and unlocks. */
  async function offline(page: Page, context: BrowserContext): Promise<void> {
    await page.waitForSelector('#offline-ready[data-ready="yes"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.state), 'activated');
    await context.setOffline(true);
    try {
      await page.reload();
      await screen(page, 'unlock');
      await page.waitForSelector('#network[data-state="offline"]');
      assert.match(await text(page, '#network'), /^Offline/);
      await page.waitForSelector('#offline-ready[data-ready="yes"]');
      await unlock(page);
      await screen(page, 'home');
      await page.waitForSelector('section.account[data-balances="offline"]', { timeout: SCREEN_TIMEOUT_MS });
      assert.match(await text(page, 'section.account .balances-state'), /cannot be shown offline/);
      // All three receipts: the ones this tab paid and the one the other tab merged in.
      await page.waitForFunction(() => document.querySelectorAll('#receipts li[data-verified="yes"]').length === 3);
      await fitsWidth(page);
      await screenshot(page, 'offline');
    } finally {
      await context.setOffline(false);
    }
  }

  /** A fresh browser profile restores the same account from the phrase; its balance comes from the node. */
  async function restoreElsewhere(browser: Browser, phrase: string, accountId: string): Promise<void> {
    const { context, page, problems } = await newWalletPage(browser, world);
    try {
      await page.goto(`${node.url}/wallet/`);
      await screen(page, 'welcome');
      await page.click('#restore');
      await screen(page, 'restore');
      await page.fill('#restore-phrase', 'abandon abandon');
      await page.click('#restore-continue');
      assert.match(await text(page, '#restore-message'), /recovery_phrase_invalid/);
      // As people type it: capitals, line breaks, extra spaces.
      await page.fill('#restore-phrase', `  ${phrase.toUpperCase().split(' ').join('\n  ')} `);
      await page.click('#restore-continue');
      await choosePassphrase(page);
      await screen(page, 'home');
      assert.equal(await page.getAttribute('section.account', 'data-account'), accountId);
      assert.deepEqual(await shownBalances(page, accountId), { EUR: '79.25' });
      assert.equal(await page.$('#receipts'), null, 'receipts stay on the device that paid until sync exists');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
});

describe('the wallet web app sources', () => {
  test('type-check (tsc -b does not cover packages/wallet/pwa)', async () => {
    const tsc = join(REPO_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
    const project = join(REPO_DIR, 'packages', 'wallet', 'pwa', 'tsconfig.json');
    const run = promisify(execFile)(process.execPath, [tsc, '-p', project], { cwd: REPO_DIR });
    const { stdout, stderr } = await run.catch((error: { stdout: string; stderr: string }) => {
      assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`);
    });
    assert.equal(`${stdout}${stderr}`, '');
  });

  test('build as static files for any host, within the size budget', async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'ww-wallet-pwa-build-'));
    try {
      const script = join(REPO_DIR, 'packages', 'wallet', 'scripts', 'build-pwa.mjs');
      const { stdout } = await promisify(execFile)(process.execPath, [script, out], { cwd: REPO_DIR });
      assert.deepEqual(readdirSync(out).sort(), [
        'app.css',
        'app.js',
        'icon.svg',
        'index.html',
        'manifest.webmanifest',
        'qr-reader.js',
        'sw.js',
      ]);
      const sw = readFileSync(join(out, 'sw.js'), 'utf8');
      assert.match(sw, /const CACHE = 'wallet-[0-9a-f]{16}';/);
      assert.ok(!sw.includes('__FILES__'));
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.webmanifest'), 'utf8'));
      assert.equal(manifest.start_url, '/wallet/');
      assert.deepEqual(manifest.protocol_handlers, [{ protocol: 'web+webwallet', url: '/wallet/#uri=%s' }]);
      const line = stdout.split('\n').find((l) => l.startsWith('initial load'));
      assert.ok(line, stdout);
      t.diagnostic(line);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
