/**
 * Accepting a currency from the home screen, and error texts a person can read, end to end: a
 * real node (SQLite, blocks every 50 ms) serving the app, and the app in a real headless Chromium.
 * A new wallet accepts EUR through the form on its account's card (the trust line is signed in
 * the page), the issuer then sends it EUR, and home shows the balance; a currency the ledger does
 * not have is refused in words; a wrong passphrase says so plainly, with the code set apart below.
 * The Devices screen tells devices apart by a short id and hides "Add a device" while a code shows.
 *
 * WALLET_SCREENSHOTS=1 saves docs/wallet/accept-currency.png and docs/wallet/error-details.png.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { transaction } from '@webwallet/ledger';
import type { Page } from 'playwright-core';
import {
  available,
  CURRENCY,
  createWallet,
  fitsWidth,
  newWalletPage,
  type Party,
  SCREEN_TIMEOUT_MS,
  screen,
  screenshot,
  shownBalances,
  submitAll,
  text,
  unlock,
  useWalletNode,
  withChromium,
} from './harness.node.js';

describe('accepting a currency and plain error texts in the web app', { timeout: 120_000 }, () => {
  const world = useWalletNode();

  test('a new wallet accepts EUR and receives it; refusals and a wrong passphrase are said plainly', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const { context, page, problems } = await newWalletPage(browser, world);
      const { account } = await createWallet(page, world.node.url);
      await acceptEur(page, account);
      await receiveEur(page, account);
      await unknownCurrency(page, account);
      await badInput(page, account);
      await wrongPassphrase(page);
      await devices(page);
      assert.deepEqual(problems, []);
      await context.close();
    }));

  const form = (account: Party) => `section[data-account="${account.id}"] details.accept-currency`;

  async function openForm(page: Page, account: Party): Promise<void> {
    const details = form(account);
    if ((await page.getAttribute(details, 'open')) === null) await page.click(`${details} summary`);
  }

  async function accept(page: Page, account: Party, currency: string, limit?: string): Promise<string> {
    await openForm(page, account);
    await page.fill(`${form(account)} #accept-0-currency`, currency);
    if (limit !== undefined) await page.fill('#accept-0-limit', limit);
    await page.evaluate(() => document.getElementById('accept-0-message')?.replaceChildren());
    await page.click(`${form(account)} .accept-submit`);
    // The answer, after "Asking the ledger…" while the node has the document.
    await page.waitForFunction(
      () => {
        const said = document.getElementById('accept-0-message')?.textContent ?? '';
        return said !== '' && !said.startsWith('Asking');
      },
      undefined,
      { timeout: SCREEN_TIMEOUT_MS },
    );
    return text(page, '#accept-0-message');
  }

  /** The home screen's dead end is gone: the account's card accepts EUR, signed in the page. */
  async function acceptEur(page: Page, account: Party): Promise<void> {
    assert.deepEqual(await shownBalances(page, account.id), {});
    assert.match(await text(page, `section[data-account="${account.id}"] .balances-state`), /Accept a currency below/);
    await openForm(page, account);
    assert.equal(await page.inputValue('#accept-0-limit'), '1000', 'a limit is offered');
    const said = await accept(page, account, 'eur');
    assert.equal(await page.getAttribute('#accept-0-message', 'data-kind'), 'info', said);
    assert.equal(said, 'Done: this account accepts up to 1000 EUR. Whoever pays you in EUR can send it now.');
    // The balances are drawn again from the ledger, which now lists EUR (nothing received yet).
    await page.waitForSelector(`section[data-account="${account.id}"] .balances li[data-currency="EUR"]`);
    assert.deepEqual(await shownBalances(page, account.id), { EUR: '0.00' });
    const view = await world.client.account(account.id);
    assert.ok(view.ok && view.value);
    assert.equal(view.value.balances.find((b) => b.currency === CURRENCY)?.limit, '1000.00');
    await fitsWidth(page);
    await screenshot(page, 'accept-currency');
  }

  /** The issuer pays the account with no trust line set outside the page: the one the page signed does. */
  async function receiveEur(page: Page, account: Party): Promise<void> {
    const legs = [{ from: world.issuer.id, to: account.id, currency: CURRENCY, amount: '42.00' }];
    await submitAll(world.client, [await transaction('ledger.transfer', { legs }, [world.issuer.keys])]);
    assert.equal(await available(world.client, account.id), '42.00');
    await page.reload();
    await unlock(page);
    await screen(page, 'home');
    assert.deepEqual(await shownBalances(page, account.id), { EUR: '42.00' });
    // Above the limit the ledger refuses, which is what the limit is for.
    const over = [{ from: world.issuer.id, to: account.id, currency: CURRENCY, amount: '958.01' }];
    const refused = await world.client.submit([
      await transaction('ledger.transfer', { legs: over }, [world.issuer.keys]),
    ]);
    assert.ok(refused.ok);
    assert.equal(refused.value[0]?.status === 'rejected' && refused.value[0].error.code, 'trust_limit_exceeded');
  }

  /** A currency the ledger does not have: a sentence naming it, the code set apart below it. */
  async function unknownCurrency(page: Page, account: Party): Promise<void> {
    const said = await accept(page, account, 'XYZ');
    assert.equal(await page.getAttribute('#accept-0-message', 'data-kind'), 'error');
    assert.match(said, /^This ledger has no currency XYZ\. Check its code with whoever issues it/);
    assert.match(said, /Code: currency_not_found\.$/);
    assert.equal(await text(page, '#accept-0-message .error-details'), 'Code: currency_not_found.');
    assert.deepEqual(await shownBalances(page, account.id), { EUR: '42.00' }, 'nothing else changed');
  }

  /** Input the ledger would refuse is caught before anything is signed; a lower limit than held is the ledger's. */
  async function badInput(page: Page, account: Party): Promise<void> {
    assert.match(await accept(page, account, ''), /^Write the code of the currency to accept/);
    assert.match(await accept(page, account, 'EURO DOLLAR'), /is not a currency code/);
    assert.match(await accept(page, account, 'EUR', '1,000'), /^Write the limit as a number/);
    const below = await accept(page, account, 'EUR', '10');
    assert.match(below, /^The limit cannot be lower than what the account holds now\./);
    assert.match(below, /Code: trust_limit_below_balance\.$/);
    const raised = await accept(page, account, 'EUR', '5000.50');
    assert.match(raised, /^Done: this account accepts up to 5000\.50 EUR\./);
  }

  /** The plain sentence first; the reason and the code (which support asks for) smaller, below. */
  async function wrongPassphrase(page: Page): Promise<void> {
    await page.click('#lock');
    await unlock(page, 'not the passphrase');
    await page.waitForSelector('#unlock-message[data-kind="error"]', { timeout: SCREEN_TIMEOUT_MS });
    const said = await text(page, '#unlock-message');
    assert.match(said, /^That passphrase does not open this wallet\. Check it and try again\./);
    assert.match(said, /Code: passphrase_wrong\.$/);
    const parts = await page.$eval('#unlock-message', (p) => ({
      sentence: p.firstChild?.textContent?.trim(),
      details: p.querySelector('small.error-details')?.textContent,
      detailsSize: Number.parseFloat(getComputedStyle(p.querySelector('small.error-details') as Element).fontSize),
      size: Number.parseFloat(getComputedStyle(p).fontSize),
    }));
    assert.equal(parts.sentence, 'That passphrase does not open this wallet. Check it and try again.');
    assert.match(parts.details ?? '', /^(Details: .+ · )?Code: passphrase_wrong\.$/);
    assert.ok(parts.detailsSize < parts.size, `details ${parts.detailsSize}px, sentence ${parts.size}px`);
    await fitsWidth(page);
    await screenshot(page, 'error-details');
    await unlock(page);
    await screen(page, 'home');
  }

  /** Each device row has a short id and the date it was added; "Add a device" hides while a code shows. */
  async function devices(page: Page): Promise<void> {
    await page.click('#open-devices');
    await screen(page, 'devices');
    await page.waitForSelector('#devices li.device', { timeout: SCREEN_TIMEOUT_MS });
    const key = (await page.getAttribute('#devices li.device', 'data-device')) ?? '';
    const id = await text(page, '#devices li.device .device-id');
    assert.equal(id.length, 8);
    assert.ok(key.replace(/^[a-z]+_/, '').startsWith(id), `${id} begins ${key}`);
    assert.match(await text(page, '#devices li.device .device-facts'), new RegExp(`^ID ${id} · added \\S`));
    await page.click('#add-device');
    await page.waitForSelector('#pairing-card', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await page.isHidden('#add-device'), true, 'no second code while one is shown');
    await page.click('#pairing-done');
    assert.equal(await page.isVisible('#add-device'), true);
  }
});
