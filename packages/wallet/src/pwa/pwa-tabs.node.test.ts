/**
 * Two tabs of one wallet, and locking during a payment, in a real headless Chromium against a
 * real node (pwa/session.ts, pwa/store.ts).
 *
 * Tabs: A and B are two pages of one browser context, so they share one IndexedDB record and one
 * sync state. A pairs a third device and removes it again (a new epoch key, an invitation, a
 * later cursor); B, which has not synced since, then saves a note. The stored sync state must
 * still be A's (B's older one never writes over it), B takes A's up at its next sync, and both
 * tabs' notes survive in the stored document and on both screens.
 *
 * Locking: the wallet locks itself (out of sight for a minute) while a payment waits for its block
 * (3 s blocks). The lock screen shows at once, the payment's hold keeps the keys until its receipt
 * is stored, and unlocking shows the receipt.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { transaction } from '@webwallet/ledger';
import type { Browser, Page } from 'playwright-core';
import { formatPaymentUri } from '../pay/payment-uri.js';
import type { SyncState } from '../sync/state.js';
import {
  CURRENCY,
  choosePassphrase,
  createWallet,
  newWalletPage,
  openStored,
  pay,
  SCREEN_TIMEOUT_MS,
  screen,
  settled,
  submitAll,
  syncNow,
  text,
  unlock,
  useWalletNode,
  watch,
  withChromium,
  writeNote,
} from './harness.node.js';

const NOTE_A = 'Tab A wrote: Pelican abacus';
const NOTE_B = 'Tab B wrote: Otter semaphore';

describe('two tabs of one wallet share its sync state', { timeout: 240_000 }, () => {
  const world = useWalletNode();

  test("tab B's save after tab A removed a device keeps A's newer sync state; both tabs' notes survive", (t: TestContext) =>
    withChromium(t, async (browser) => {
      const url = world.node.url;
      const { context, page: a, problems: problemsA } = await newWalletPage(browser, world);
      const { account } = await createWallet(a, url);
      await world.fund(account);
      await settled(a, 'synced');
      const key1 = await pay(a, world, '1.10', 'first');
      const key2 = await pay(a, world, '2.20', 'second');

      // Tab B: the same wallet in a second tab of the same browser, unlocked and synced.
      const b = await context.newPage();
      const problemsB = watch(b, url);
      await b.goto(`${url}/wallet/`);
      await unlock(b);
      await screen(b, 'home');
      await settled(b, 'synced');
      await b.waitForSelector(`#receipts li[data-key="${key2}"]`, { timeout: SCREEN_TIMEOUT_MS });
      const before = await openStored(b);
      assert.ok(before.sync && before.counter !== undefined);
      assert.deepEqual(epochs(before.sync), [0]);

      // Tab A changes the sync state: a note, a pairing code that a third device uses, its removal.
      await writeNote(a, key1, NOTE_A);
      const typed = await pairingCode(a);
      await joinWith(browser, typed);
      await a.waitForSelector('#pair-added', { timeout: SCREEN_TIMEOUT_MS });
      const cKey = (await a.getAttribute('#devices li[data-self="no"]', 'data-device')) ?? '';
      assert.match(cKey, /^pub_/);
      await removeDevice(a, cKey);
      const byA = await openStored(a);
      assert.ok(byA.sync && byA.counter !== undefined && byA.counter > before.counter);
      assert.deepEqual(epochs(byA.sync), [0, 1], 'the removal made a new epoch key');
      assert.ok(
        byA.sync.invites.some((invite) => invite.used_by === cKey),
        "A's invitation, used by the third device, is stored",
      );
      assert.ok(byA.sync.cursor > before.sync.cursor);

      // Tab B, still holding the old sync state, saves a note: A's stored state stays.
      await writeNote(b, key2, NOTE_B);
      const afterB = await openStored(b);
      assert.ok(afterB.sync && afterB.counter !== undefined && afterB.counter >= byA.counter);
      assert.deepEqual(epochs(afterB.sync), [0, 1], "B's save kept A's new key");
      assert.ok(afterB.sync.cursor >= byA.sync.cursor, "B's save kept A's cursor");
      assert.deepEqual(afterB.sync.invites, byA.sync.invites);
      assert.ok(removed(afterB.sync, cKey));
      assert.equal(afterB.document.receipt(key1)?.note, NOTE_A);
      assert.equal(afterB.document.receipt(key2)?.note, NOTE_B);

      // B's next sync takes A's state up and goes on from it; then A takes B's up in turn.
      await syncNow(b, 'synced');
      const synced = await openStored(b);
      assert.ok(synced.sync && synced.counter !== undefined && synced.counter > afterB.counter);
      assert.deepEqual(epochs(synced.sync), [0, 1]);
      assert.ok(synced.sync.cursor >= byA.sync.cursor);
      assert.ok(removed(synced.sync, cKey));
      await syncNow(a, 'synced');
      for (const page of [a, b]) {
        await page.waitForFunction(
          ([k1, k2, n1, n2]) =>
            document.querySelector(`#receipts li[data-key="${k1}"] .note`)?.textContent === n1 &&
            document.querySelector(`#receipts li[data-key="${k2}"] .note`)?.textContent === n2,
          [key1, key2, NOTE_A, NOTE_B],
          { timeout: SCREEN_TIMEOUT_MS },
        );
      }
      const last = await openStored(a);
      assert.equal(last.document.receipt(key1)?.note, NOTE_A);
      assert.equal(last.document.receipt(key2)?.note, NOTE_B);
      assert.deepEqual(epochs(last.sync), [0, 1]);

      assert.deepEqual(problemsA, []);
      assert.deepEqual(problemsB, []);
    }));

  /** A's Devices screen: Add a device, and the typed code it shows. */
  async function pairingCode(page: Page): Promise<string> {
    await page.click('#open-devices');
    await screen(page, 'devices');
    await page.click('#add-device');
    await page.waitForSelector('#pair-typed', { timeout: SCREEN_TIMEOUT_MS });
    return text(page, '#pair-typed');
  }

  /** A third device (its own browser context) joins with the code, then goes away. */
  async function joinWith(browser: Browser, typed: string): Promise<void> {
    const { context, page, problems } = await newWalletPage(browser, world);
    try {
      await page.goto(`${world.node.url}/wallet/#pair=${encodeURIComponent(typed)}`);
      await screen(page, 'pair');
      await page.click('#pair-continue');
      await choosePassphrase(page);
      await screen(page, 'home');
      await settled(page, 'synced');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }

  async function removeDevice(page: Page, deviceKey: string): Promise<void> {
    await page.waitForFunction(() => document.querySelectorAll('#devices li').length === 2);
    await page.click(`#devices li[data-device="${deviceKey}"] .remove-device`);
    await page.click('#confirm-remove');
    await page.waitForFunction(
      () => /was removed/.test(document.getElementById('devices-message')?.textContent ?? ''),
      undefined,
      { timeout: SCREEN_TIMEOUT_MS },
    );
    await page.click('#devices-back');
    await screen(page, 'home');
  }
});

describe('locking while a payment waits for its block', { timeout: 120_000 }, () => {
  const world = useWalletNode({ block_interval_ms: 3_000 });

  test('the lock screen shows at once; the receipt is stored once the block seals, and is there after unlocking', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const url = world.node.url;
      const { page, problems } = await newWalletPage(browser, world);
      // Playwright's clock moves the page's timers: the minute out of sight that locks it passes at once.
      await page.clock.install();
      const { account } = await createWallet(page, url);
      await world.fund(account);
      await page.click('#open-pay');
      await screen(page, 'pay');
      const uri = formatPaymentUri({ node: url, to: world.payee.id, amount: '3.30', currency: CURRENCY });
      await page.fill('#payment-uri', uri);
      await page.click('#review-button');
      await page.waitForSelector('#review-amount', { timeout: SCREEN_TIMEOUT_MS });

      // Just after a block: out of sight for 59 s (not locked yet), Pay, and the last 2 s.
      await blockJustSealed();
      await setVisibility(page, 'hidden');
      await page.clock.fastForward('00:59');
      assert.equal(await page.$eval('main', (main) => (main as HTMLElement).dataset.screen), 'review');
      await page.click('#pay-button');
      await page.clock.fastForward('00:02');
      await screen(page, 'unlock');
      assert.equal((await openStored(page)).document.receipts().length, 0, 'locked before the block sealed');

      // The payment goes on holding the keys, and stores its receipt once the block seals.
      const stored = await waitForReceipt(page);
      await setVisibility(page, 'visible');
      await unlock(page);
      await screen(page, 'home');
      await page.waitForSelector(`#receipts li[data-key="${stored}"]`, { timeout: SCREEN_TIMEOUT_MS });
      // The relay refuses sync requests dated a minute ahead of its clock (401 relay_clock_skew):
      // that is the fake clock's doing, not the wallet's.
      assert.deepEqual(
        problems.filter((p) => !p.includes('status of 401')),
        [],
      );
    }));

  /** Returns just after the node sealed a block: the next one is about 3 s away. */
  async function blockJustSealed(): Promise<void> {
    const limit = { holder: world.payee.id, currency: CURRENCY, limit: '1000000.00' };
    const document = await transaction('ledger.trust.set', limit, [world.payee.keys]);
    await submitAll(world.client, [document]);
    const sealed = await world.client.waitForReceipt(document.body.id);
    assert.ok(sealed.ok, JSON.stringify(sealed));
  }

  /** Waits until the stored document holds a receipt; returns its key. */
  async function waitForReceipt(page: Page): Promise<string> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS;
    for (;;) {
      const [receipt] = (await openStored(page)).document.receipts();
      if (receipt) return receipt.key;
      assert.ok(Date.now() < deadline, 'the receipt was never stored');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});

/** Tells the page it is out of sight or back (what auto-lock.ts listens to). */
async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((value) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => value });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

/** The epochs of the keys a sync state holds, in order. */
function epochs(state: SyncState | undefined): number[] {
  return (state?.keys ?? []).map((k) => k.epoch).sort((x, y) => x - y);
}

function removed(state: SyncState, deviceKey: string): boolean {
  return state.roster.some((entry) => entry.key === deviceKey && entry.removed_seq !== undefined);
}
