/**
 * What the wallet app's Chromium tests share: a real node with an issuer and a payee, a page
 * watcher that records what the wallet must never do, screen waits, screenshots, and the quick
 * path through first run (create, confirm three words, passphrase) for tests about later screens.
 * pwa.node.test.ts checks first run itself in detail. Also the frame every test file uses (a node
 * per suite, a Chromium per test, a watched page per device), what a page stored in IndexedDB
 * opened with the passphrase, and the pay, note and sync steps the sync and tabs tests share.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodePrefixed, fromUtf8, generateKeyPair, type KeyPair, type SignedDocument, utf8 } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { type RunningNode, startNode } from '@webwallet/server';
import { launchChromium, requireChromium } from '@webwallet/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { WalletDocument } from '../document/wallet-document.js';
import { accountKeyPair, walletSeed } from '../index.js';
import { deriveLockKey, type KdfParams, open as openSealed } from '../keys/lock.js';
import { NodeClient } from '../node/node-client.js';
import { formatPaymentUri } from '../pay/payment-uri.js';
import type { SyncState } from '../sync/state.js';

export const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));
export const SCREENSHOT_DIR = join(REPO_DIR, 'docs', 'wallet');
export const CURRENCY = 'EUR';
export const PASSPHRASE = 'correct horse battery staple';
export const VIEWPORT = { width: 360, height: 760 };
/** Creating, unlocking and restoring each run Argon2id (19 MiB) in the page: allow for slow machines. */
export const SCREEN_TIMEOUT_MS = 20_000;

export interface Party {
  readonly id: string;
  readonly keys: KeyPair;
}

export async function party(keys?: KeyPair): Promise<Party> {
  const pair = keys ?? (await generateKeyPair());
  return { keys: pair, id: encodePrefixed('pub', pair.publicKey) };
}

export async function submitAll(client: NodeClient, documents: SignedDocument[]): Promise<void> {
  const submitted = await client.submit(documents);
  assert.ok(submitted.ok, JSON.stringify(submitted));
  for (const result of submitted.value) assert.equal(result.status, 'accepted', JSON.stringify(result));
}

export async function available(client: NodeClient, account: string): Promise<string> {
  const view = await client.account(account);
  assert.ok(view.ok && view.value, JSON.stringify(view));
  return view.value.balances.find((b) => b.currency === CURRENCY)?.available ?? '0';
}

/** A node on a temporary data directory with an EUR issuer and a payee that trusts EUR. */
export interface WalletNode {
  readonly node: RunningNode;
  /** The node's data directory (its admin-token file, say). */
  readonly dir: string;
  readonly client: NodeClient;
  readonly issuer: Party;
  readonly payee: Party;
  /** Opens a trust line for the account and sends it `amount` EUR from the issuer. */
  fund(account: Party, amount?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWalletNode(options: Parameters<typeof startNode>[0] = {}): Promise<WalletNode> {
  const dir = mkdtempSync(join(tmpdir(), 'ww-wallet-pwa-'));
  const node = await startNode({ port: 0, data_dir: dir, log_level: 'silent', block_interval_ms: 50, ...options });
  const client = new NodeClient({ url: node.url });
  const [issuer, payee] = await Promise.all([party(), party()]);
  await submitAll(client, [
    await transaction('ledger.account.create', { account: issuer.id }, [issuer.keys]),
    await transaction('ledger.account.create', { account: payee.id }, [payee.keys]),
    await transaction('ledger.currency.issue', { issuer: issuer.id, currency: CURRENCY, scale: 2 }, [issuer.keys]),
    await transaction('ledger.trust.set', { holder: payee.id, currency: CURRENCY, limit: '1000000.00' }, [payee.keys]),
  ]);
  return {
    node,
    dir,
    client,
    issuer,
    payee,
    async fund(account, amount = '100.00') {
      await submitAll(client, [
        await transaction('ledger.trust.set', { holder: account.id, currency: CURRENCY, limit: '1000.00' }, [
          account.keys,
        ]),
        await transaction(
          'ledger.transfer',
          { legs: [{ from: issuer.id, to: account.id, currency: CURRENCY, amount }] },
          [issuer.keys],
        ),
      ]);
    },
    async close() {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Records what the wallet must never do: throw, log errors, break its CSP or ask another origin
 * for anything. Chromium logs every failed request as a console error; two kinds are expected:
 * requests while the network is cut, and the 404 the node answers when the wallet looks up a
 * payment the ledger refused (to know it may offer Pay again). `allowed` adds origins the page
 * may call (a merchant page that uses the node, say).
 */
export function watch(
  page: Page,
  origin: string,
  allowed: readonly string[] = [],
  /** More paths whose 404 is expected, e.g. '/v1/accounts/' for an account not on the ledger yet. */
  missing: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const lookups = ['/v1/transactions/', ...missing];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    const offline = text.includes('net::ERR_INTERNET_DISCONNECTED');
    const refusedLookup = text.includes('status of 404') && lookups.some((p) => message.location().url.includes(p));
    if (message.type() === 'error' && !offline && !refusedLookup) problems.push(`console: ${text}`);
  });
  page.on('request', (request) => {
    const from = new URL(request.url()).origin;
    if (from !== origin && !allowed.includes(from)) problems.push(`foreign request: ${request.url()}`);
  });
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  return problems;
}

export const screen = (page: Page, name: string) =>
  page.waitForSelector(`main[data-screen="${name}"]`, { timeout: SCREEN_TIMEOUT_MS });

/** Saves docs/wallet/<name>.png when WALLET_SCREENSHOTS=1 (CI leaves the committed ones alone). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.WALLET_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** The page is usable at its width: nothing makes it scroll sideways. */
export async function fitsWidth(page: Page): Promise<void> {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= VIEWPORT.width, `the page is ${width} px wide at ${VIEWPORT.width} px`);
}

export async function choosePassphrase(page: Page, passphrase = PASSPHRASE): Promise<void> {
  await screen(page, 'passphrase');
  await page.fill('#passphrase', passphrase);
  await page.fill('#passphrase-again', passphrase);
  await page.click('#set-passphrase');
}

export async function unlock(page: Page, passphrase = PASSPHRASE): Promise<void> {
  await screen(page, 'unlock');
  await page.fill('#unlock-passphrase', passphrase);
  await page.click('#unlock');
}

/** Balances as the home screen shows them: currency -> available. */
export async function shownBalances(page: Page, account: string): Promise<Record<string, string>> {
  const card = `section[data-account="${account}"]`;
  await page.waitForSelector(`${card}:not([data-balances="loading"])`, { timeout: SCREEN_TIMEOUT_MS });
  const entries = await page.$$eval(`${card} .balances li`, (items) =>
    items.map((li) => [li.getAttribute('data-currency'), li.querySelector('.value')?.textContent]),
  );
  return Object.fromEntries(entries);
}

export const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();

/**
 * First run the quick way: create, confirm the three words asked, choose the passphrase, home.
 * Returns the phrase and the first account (its keys derived here from the phrase, as the page does).
 */
export async function createWallet(
  page: Page,
  nodeUrl: string,
  options: { sandbox?: boolean } = {},
): Promise<{ phrase: string; account: Party }> {
  await page.goto(`${nodeUrl}/wallet/`);
  await screen(page, 'welcome');
  // "Test money (sandbox)": the wallet's node becomes <origin>/sandbox.
  if (options.sandbox) await page.check('#sandbox');
  await page.click('#create');
  await screen(page, 'phrase');
  const words = await page.$$eval('#phrase li', (items) => items.map((li) => li.textContent ?? ''));
  await page.check('#phrase-saved');
  await page.click('#phrase-continue');
  await screen(page, 'confirm');
  const positions = await page.$$eval('input[data-position]', (inputs) =>
    inputs.map((input) => Number(input.getAttribute('data-position'))),
  );
  for (const position of positions) await page.fill(`#confirm-${position}`, words[position - 1] ?? '');
  await page.click('#confirm-words');
  await choosePassphrase(page);
  await screen(page, 'home');
  const phrase = words.join(' ');
  const seed = await walletSeed(phrase);
  assert.ok(seed.ok);
  return { phrase, account: await party(await accountKeyPair(seed.value, 0)) };
}

/**
 * The suite's wallet node: started before its tests, closed after them. Call it in a describe
 * body; the object it returns reads through to the node once it runs.
 */
export function useWalletNode(options: Parameters<typeof startNode>[0] = {}): WalletNode {
  let started: WalletNode | undefined;
  before(async () => {
    started = await startWalletNode(options);
  });
  after(async () => {
    await started?.close();
  });
  const current = (): WalletNode => {
    if (!started) throw new Error('the wallet node starts before the tests (useWalletNode in a describe body)');
    return started;
  };
  return {
    get node() {
      return current().node;
    },
    get dir() {
      return current().dir;
    },
    get client() {
      return current().client;
    },
    get issuer() {
      return current().issuer;
    },
    get payee() {
      return current().payee;
    },
    fund: (account, amount) => current().fund(account, amount),
    close: () => current().close(),
  };
}

/** Runs `use` with a headless Chromium (skipped where there is none, refused in CI), closed after. */
export async function withChromium(t: TestContext, use: (browser: Browser) => Promise<void>): Promise<void> {
  const chromium = requireChromium(t);
  if (!chromium) return;
  const browser = await launchChromium(chromium);
  try {
    await use(browser);
  } finally {
    await browser.close();
  }
}

/** A page in a new browser context (a device of its own) at the phone viewport, watched. */
export interface WalletPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: string[];
}

/** `allowed` and `missing` as for watch(). */
export async function newWalletPage(
  browser: Browser,
  world: WalletNode,
  { allowed = [], missing = [] }: { allowed?: readonly string[]; missing?: readonly string[] } = {},
): Promise<WalletPage> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  return { context, page, problems: watch(page, world.node.url, allowed, missing) };
}

// The AADs pwa/session.ts seals the stored wallet document and sync state with (the app's
// sources are bundled for the browser, not compiled into this package).
export const DOCUMENT_AAD = 'webwallet:pwa:document:v1:';
export const SYNC_AAD = 'webwallet:pwa:sync:v1:';

/** A record as the page stored it in IndexedDB; its byte fields are Uint8Arrays again. */
export type StoredRecord = Record<string, unknown>;

/** The page's wallet and sync records, read from one transaction as the page reads and writes them. */
export async function storedRecords(page: Page): Promise<{ wallet?: StoredRecord; sync?: StoredRecord }> {
  const raw = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('webwallet');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const store = db.transaction('wallet').objectStore('wallet');
    const get = (key: string) =>
      new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
        const request = store.get(key);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    const [wallet, sync] = await Promise.all([get('current'), get('sync')]);
    db.close();
    // Bytes cross to Node as arrays of numbers, with the names of the fields they came from.
    const plain = (record: Record<string, unknown> | undefined) =>
      record && {
        values: Object.fromEntries(
          Object.entries(record).map(([k, v]) => [k, v instanceof Uint8Array ? Array.from(v) : v]),
        ),
        bytes: Object.keys(record).filter((k) => record[k] instanceof Uint8Array),
      };
    return { wallet: plain(wallet), sync: plain(sync) };
  });
  const revive = (record: { values: Record<string, unknown>; bytes: string[] } | undefined) =>
    record &&
    Object.fromEntries(
      Object.entries(record.values).map(([k, v]) => [k, record.bytes.includes(k) ? Uint8Array.from(v as number[]) : v]),
    );
  const wallet = revive(raw.wallet);
  const sync = revive(raw.sync);
  return { ...(wallet ? { wallet } : {}), ...(sync ? { sync } : {}) };
}

/** What a page keeps in IndexedDB, opened here with the passphrase as the page opens it. */
export interface Opened {
  readonly wallet_id: string;
  /** The lock key (from the passphrase), to seal a changed document back as the page would. */
  readonly key: Uint8Array;
  readonly document: WalletDocument;
  readonly sync: SyncState | undefined;
  /** The sync record's counter (pwa/store.ts StoredSync). */
  readonly counter: number | undefined;
}

/** Opens what the page stored in IndexedDB, with the passphrase, as pwa/session.ts does. */
export async function openStored(page: Page): Promise<Opened> {
  const { wallet, sync: record } = await storedRecords(page);
  if (!wallet) throw new Error('no wallet stored');
  const walletId = String(wallet.wallet_id);
  const ours = record && record.wallet_id === wallet.wallet_id ? record : undefined;
  const key = await deriveLockKey(PASSPHRASE, wallet.salt as Uint8Array, wallet.kdf as KdfParams);
  const state = openSealed(key, wallet.document as Uint8Array, utf8(DOCUMENT_AAD + walletId));
  assert.ok(state.ok, 'the document opens with the passphrase');
  const document = WalletDocument.load(state.value);
  assert.ok(document.ok);
  let sync: SyncState | undefined;
  if (ours) {
    const opened = openSealed(key, ours.sealed as Uint8Array, utf8(SYNC_AAD + walletId));
    assert.ok(opened.ok, 'the sync state opens with the passphrase');
    sync = (JSON.parse(fromUtf8(opened.value)) as { state: SyncState }).state;
  }
  const counter = typeof ours?.counter === 'number' ? ours.counter : undefined;
  return { wallet_id: walletId, key, document: document.value, sync, counter };
}

/** Waits until no sync is running and the status is `state`. */
export async function settled(page: Page, state: string): Promise<void> {
  await page.waitForSelector(`#sync-status[data-state="${state}"]`, { timeout: SCREEN_TIMEOUT_MS });
}

/** Sync now, as a person would, and wait for it to finish in `state`. */
export async function syncNow(page: Page, state: string): Promise<void> {
  await page.waitForSelector('#sync-now:not([disabled])', { timeout: SCREEN_TIMEOUT_MS });
  await page.click('#sync-now');
  await page.waitForSelector('#sync-now:not([disabled])', { timeout: SCREEN_TIMEOUT_MS });
  await settled(page, state);
}

/** Pays the payee from the Pay screen; returns the stored receipt's key. */
export async function pay(page: Page, world: WalletNode, amount: string, memo: string): Promise<string> {
  await page.click('#open-pay');
  await screen(page, 'pay');
  const uri = formatPaymentUri({ node: world.node.url, to: world.payee.id, amount, currency: CURRENCY, memo });
  await page.fill('#payment-uri', uri);
  await page.click('#review-button');
  await page.waitForSelector('#review-amount', { timeout: SCREEN_TIMEOUT_MS });
  await page.click('#pay-button');
  await page.waitForSelector('#receipt-status[data-verified="yes"]', { timeout: SCREEN_TIMEOUT_MS });
  const key = (await page.getAttribute('#receipt', 'data-key')) ?? '';
  assert.ok(key.includes('/'));
  await page.click('#back-home');
  await screen(page, 'home');
  return key;
}

export async function openReceipt(page: Page, key: string): Promise<void> {
  await page.click(`#receipts li[data-key="${key}"] button`);
  await screen(page, 'receipt');
}

/** Saves a note on a receipt, back home, and waits until the home list shows it. */
export async function writeNote(page: Page, key: string, note: string): Promise<void> {
  await openReceipt(page, key);
  await page.fill('#receipt-note', note);
  await page.click('#save-note');
  await page.waitForFunction(() => document.getElementById('note-message')?.textContent?.startsWith('Saved'));
  await page.click('#back-home');
  await screen(page, 'home');
  await page.waitForFunction(
    ([k, n]) => document.querySelector(`#receipts li[data-key="${k}"] .note`)?.textContent === n,
    [key, note],
  );
}
