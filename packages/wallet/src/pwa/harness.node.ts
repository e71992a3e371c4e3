/**
 * What the wallet app's Chromium tests share: a real node with an issuer and a payee, a page
 * watcher that records what the wallet must never do, screen waits, screenshots, and the quick
 * path through first run (create, confirm three words, passphrase) for tests about later screens.
 * pwa.node.test.ts checks first run itself in detail.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePrefixed, generateKeyPair, type KeyPair, type SignedDocument } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { type RunningNode, startNode } from '@webwallet/server';
import type { Page } from 'playwright-core';
import { accountKeyPair, walletSeed } from '../index.js';
import { NodeClient } from '../node/node-client.js';

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
export async function createWallet(page: Page, nodeUrl: string): Promise<{ phrase: string; account: Party }> {
  await page.goto(`${nodeUrl}/wallet/`);
  await screen(page, 'welcome');
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
