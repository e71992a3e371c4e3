/**
 * Sync in the wallet web app, end to end against real things only: a real node (its relay on
 * SQLite) and two browser contexts of a real headless Chromium as two devices of one wallet.
 * A makes the wallet and shows a pairing code on its Devices screen; B types it and joins. Both
 * go offline, each writes a note on a receipt, both come back and sync, and both end with every
 * note. Then A removes B: B's next sync says it was removed, and nothing written afterwards opens
 * with the keys B holds. Last, the relay's rows in the node's SQLite file hold none of what was
 * typed.
 *
 * WALLET_SCREENSHOTS=1 saves docs/wallet/devices.png and docs/wallet/pair.png.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fromBase64Url, utf8 } from '@webwallet/core';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { type EpochKey, keyId, openMessage } from '../sync/envelope.js';
import type { SyncState } from '../sync/state.js';
import {
  choosePassphrase,
  createWallet,
  newWalletPage,
  type Opened,
  openReceipt,
  openStored,
  pay,
  SCREEN_TIMEOUT_MS,
  screen,
  screenshot,
  settled,
  syncNow,
  text,
  useWalletNode,
  withChromium,
  writeNote,
} from './harness.node.js';

const NOTE_A = 'A wrote: Zanzibar lantern';
const NOTE_B = 'B wrote: Quokka harmonica';
const NOTE_AFTER = 'After removal: Wombat ledger';
const B_NAME = 'Marmalade tablet';

describe('wallet sync in the web app: two Chromium devices', { timeout: 240_000 }, () => {
  const world = useWalletNode();

  test('pair by the typed code, edit offline on both, converge; remove a device; the relay holds no content', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const a = await newWalletPage(browser, world);
      const b = await newWalletPage(browser, world);
      const url = world.node.url;

      // Device A: a new wallet, funded, one payment; its mailbox is made as it is created.
      const { phrase, account } = await createWallet(a.page, url);
      await world.fund(account);
      await settled(a.page, 'synced');
      const keyA = await pay(a.page, world, '1.25', 'first from A');

      // A's Devices screen: only A, then a one-time code as a QR code and as text.
      await a.page.click('#open-devices');
      await screen(a.page, 'devices');
      assert.equal(await a.page.$$eval('#devices li', (items) => items.length), 1);
      assert.equal(await a.page.getAttribute('#devices li', 'data-self'), 'yes');
      await a.page.click('#add-device');
      await a.page.waitForSelector('#pair-typed', { timeout: SCREEN_TIMEOUT_MS });
      const typed = await text(a.page, '#pair-typed');
      assert.match(typed, /^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]{4}$/);
      const expires = Date.parse((await a.page.getAttribute('#pair-expires', 'data-expires-at')) ?? '');
      assert.ok(expires > Date.now() + 5 * 60_000 && expires <= Date.now() + 10 * 60_000 + 5_000);
      assert.ok((await darkPixels(a.page, '#pair-qr')) > 1_000, 'the QR code is drawn');
      await screenshot(a.page, 'devices');

      await pairB(b.page, typed);
      await usedCodeRefused(browser, typed);

      // B is the same wallet: the same account, and A's receipt came with the pairing.
      await screen(b.page, 'home');
      assert.equal(await b.page.getAttribute('section.account', 'data-account'), account.id);
      await b.page.waitForSelector(`#receipts li[data-key="${keyA}"]`, { timeout: SCREEN_TIMEOUT_MS });
      await settled(b.page, 'synced');
      // A sees B arrive while its code is shown (it syncs every few seconds meanwhile).
      await a.page.waitForSelector('#pair-added', { timeout: SCREEN_TIMEOUT_MS });
      await a.page.waitForFunction(() => document.querySelectorAll('#devices li').length === 2);
      const bKey = (await a.page.getAttribute('#devices li[data-self="no"]', 'data-device')) ?? '';
      assert.equal(await text(a.page, '#devices li[data-self="no"] .what'), B_NAME);

      // B holds the phrase (it came in the pairing offer), so it can pay too.
      const keyB = await pay(b.page, world, '2.50', 'second from B');
      await syncNow(b.page, 'synced');
      await a.page.click('#devices-back');
      await screen(a.page, 'home');
      await syncNow(a.page, 'synced');
      await a.page.waitForSelector(`#receipts li[data-key="${keyB}"]`);

      // Both offline; each writes a note on the receipt the other device paid.
      await a.context.setOffline(true);
      await b.context.setOffline(true);
      await writeNote(a.page, keyB, NOTE_A);
      await writeNote(b.page, keyA, NOTE_B);
      for (const page of [a.page, b.page]) {
        await syncNow(page, 'offline');
        const status = await text(page, '#sync-status');
        assert.match(status, /^Offline: changes stay on this device and sync when the network is back\./);
        assert.doesNotMatch(status, /fail|error|did not work/i);
      }

      // Back online: each syncs (twice, so each reads what the other sent), and both have both notes.
      await a.context.setOffline(false);
      await b.context.setOffline(false);
      for (const page of [a.page, b.page, a.page, b.page]) await syncNow(page, 'synced');
      for (const page of [a.page, b.page]) {
        await page.waitForFunction(
          ([ka, kb, na, nb]) =>
            document.querySelector(`#receipts li[data-key="${ka}"] .note`)?.textContent === nb &&
            document.querySelector(`#receipts li[data-key="${kb}"] .note`)?.textContent === na,
          [keyA, keyB, NOTE_A, NOTE_B],
        );
        await openReceipt(page, keyA);
        assert.equal(await page.inputValue('#receipt-note'), NOTE_B);
        await page.click('#back-home');
        await screen(page, 'home');
      }
      const [openedA, openedB] = [await openStored(a.page), await openStored(b.page)];
      for (const opened of [openedA, openedB]) {
        assert.equal(opened.document.receipt(keyA)?.note, NOTE_B);
        assert.equal(opened.document.receipt(keyB)?.note, NOTE_A);
      }
      assert.deepEqual(openedB.document.snapshot(), openedA.document.snapshot(), 'both devices hold the same wallet');

      // A removes B (after confirming); B's next sync says it was removed.
      await removeB(a.page, bKey);
      await writeNote(a.page, keyA, NOTE_AFTER);
      await syncNow(a.page, 'synced');
      await syncNow(b.page, 'removed');
      assert.match(await text(b.page, '#sync-status'), /^This device was removed from the wallet/);
      await nothingReadableByB(await openStored(a.page), await openStored(b.page), bKey);

      relayHoldsNoContent([
        NOTE_A,
        NOTE_B,
        NOTE_AFTER,
        B_NAME,
        'first from A',
        'second from B',
        account.id,
        world.payee.id,
        openedA.wallet_id,
        ...new Set(phrase.split(' ').filter((w) => w.length >= 5)),
      ]);

      assert.deepEqual(a.problems, []);
      // B was refused by the relay once removed: Chromium logs that 403 as an error.
      assert.deepEqual(
        b.problems.filter((p) => !p.includes('status of 403')),
        [],
      );
    }));

  /** Device B: welcome, Add this device, a mistyped code (caught before the pairing is spent), then the code. */
  async function pairB(page: Page, typed: string): Promise<void> {
    await page.goto(`${world.node.url}/wallet/`);
    await screen(page, 'welcome');
    await page.click('#join');
    await screen(page, 'pair');
    const first = typed[0] === '7' ? '8' : '7';
    await page.fill('#pair-code', first + typed.slice(1));
    await page.click('#pair-continue');
    await page.waitForSelector('#pair-message[data-kind="error"]');
    assert.match(
      await text(page, '#pair-message'),
      /Check it against the code on the other device.*pairing_code_invalid/,
    );
    // As a person might type it: lower case, spaces instead of dashes.
    await page.fill('#pair-code', typed.toLowerCase().replaceAll('-', ' '));
    await page.fill('#pair-device-name', B_NAME);
    await screenshot(page, 'pair');
    await page.click('#pair-continue');
    await choosePassphrase(page);
  }

  /** A third device opens the used code as a #pair= link: the relay no longer has it, and the page says what to do. */
  async function usedCodeRefused(browser: Browser, typed: string): Promise<void> {
    const { context, page, problems } = await newWalletPage(browser, world);
    try {
      await page.goto(`${world.node.url}/wallet/#pair=${encodeURIComponent(typed)}`);
      await screen(page, 'pair');
      assert.equal(await page.inputValue('#pair-code'), typed);
      assert.equal(await page.evaluate(() => location.hash), '', 'the code leaves the address bar');
      await page.click('#pair-continue');
      await choosePassphrase(page);
      await page.waitForSelector('#passphrase-message[data-kind="error"]', { timeout: SCREEN_TIMEOUT_MS });
      assert.match(
        await text(page, '#passphrase-message'),
        /already used or has expired\. Start again on the other device.*pairing_not_found/,
      );
      // Chromium logs the relay's 404 for the spent pairing.
      assert.deepEqual(
        problems.filter((p) => !p.includes('status of 404')),
        [],
      );
    } finally {
      await context.close();
    }
  }

  async function removeB(page: Page, bKey: string): Promise<void> {
    await page.click('#open-devices');
    await screen(page, 'devices');
    await page.click(`#devices li[data-device="${bKey}"] .remove-device`);
    assert.match(await text(page, '#remove-warning'), new RegExp(`^Remove ${B_NAME}\\?`));
    await page.click('#confirm-remove');
    await page
      .waitForFunction(() => /was removed/.test(document.getElementById('devices-message')?.textContent ?? ''), {
        timeout: SCREEN_TIMEOUT_MS,
      })
      .catch(async (error) => {
        throw new Error(`${error}: ${await text(page, 'main')}`);
      });
    assert.equal(await page.$$eval('#devices li', (items) => items.length), 1);
    await page.click('#devices-back');
    await screen(page, 'home');
  }

  /**
   * Every relay message after the removal (the new key and what it sealed) is closed to the keys
   * B holds; A's keys open the note written afterwards, so there is something to be closed.
   */
  async function nothingReadableByB(a: Opened, b: Opened, bKey: string): Promise<void> {
    assert.ok(a.sync && b.sync);
    assert.equal(a.sync.mailbox, b.sync.mailbox);
    assert.equal(
      b.document.receipts().find((r) => r.note === NOTE_AFTER),
      undefined,
    );
    const keysA = epochKeys(a.sync);
    const keysB = epochKeys(b.sync);
    const rows = relayRows('relay_messages').filter((row) => row.mailbox_id === a.sync?.mailbox);
    rows.sort((x, y) => Number(x.seq) - Number(y.seq));
    let removal: number | undefined;
    let afterNoteSeen = false;
    for (const row of rows) {
      const seq = Number(row.seq);
      const context = { mailbox: a.sync.mailbox, sender: String(row.device_key), epoch: Number(row.epoch) };
      const bytes = decode(String(row.ciphertext));
      const byA = await openMessage(context, bytes, (id) => keysA.get(id));
      if (byA.kind === 'sealed' && byA.header.type === 'remove' && byA.header.device === bKey) removal ??= seq;
      if (removal === undefined || seq <= removal) continue;
      if (byA.kind === 'sealed' && includes(byA.body, utf8(NOTE_AFTER))) afterNoteSeen = true;
      const byB = await openMessage(context, bytes, (id) => keysB.get(id));
      if (byB.kind === 'keys') {
        assert.ok(!Object.hasOwn(byB.header.wraps as object, bKey), `seq ${seq}: a key was wrapped for B`);
      } else {
        assert.equal(byB.kind, 'key_unknown', `seq ${seq} opens with B's keys`);
      }
    }
    assert.ok(removal !== undefined, 'the removal is in the log');
    assert.ok(afterNoteSeen, 'the note written after the removal is in the log, sealed under the new key');
  }

  function relayHoldsNoContent(secrets: readonly string[]): void {
    const tables = ['relay_mailboxes', 'relay_devices', 'relay_messages', 'relay_pairings'];
    const rows = tables.flatMap((table) => relayRows(table));
    assert.ok(rows.some((row) => 'ciphertext' in row));
    // Each value as stored and, for ciphertext, decoded to the bytes it carries.
    const haystack = rows
      .flatMap((row) =>
        Object.entries(row).flatMap(([column, value]) => {
          const stored = String(value);
          if (column !== 'ciphertext') return [stored];
          const bytes = decode(stored);
          return [stored, Buffer.from(bytes).toString('latin1'), Buffer.from(bytes).toString('utf8')];
        }),
      )
      .join('\n');
    for (const secret of secrets) assert.ok(!haystack.includes(secret), `the relay's rows hold "${secret}"`);
  }

  /** One relay table's rows, read straight from the node's SQLite file. */
  function relayRows(table: string): Record<string, unknown>[] {
    const db = new Database(join(world.dir, 'processor.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
});

function epochKeys(state: SyncState): Map<string, EpochKey> {
  const keys = new Map<string, EpochKey>();
  for (const k of state.keys) {
    const key = decode(k.key);
    keys.set(keyId(key), { epoch: k.epoch, key, id: keyId(key) });
  }
  return keys;
}

function decode(text: string): Uint8Array {
  const bytes = fromBase64Url(text);
  assert.ok(bytes.ok, 'base64url');
  return bytes.value;
}

function includes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

/** How many dark pixels a canvas holds: a drawn QR code has many. */
async function darkPixels(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 100) dark++;
    return dark;
  });
}
