/**
 * The unlocked wallet locks itself when nobody uses it (pwa/auto-lock.ts), in a real Chromium
 * against a real node. Playwright's clock moves the page's timers forward instead of waiting
 * five real minutes.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createWallet, newWalletPage, screen, unlock, useWalletNode, withChromium } from './harness.node.js';

const screenOf = (page: Page) => page.$eval('main', (main) => (main as HTMLElement).dataset.screen);

describe('auto-lock in the wallet web app', { timeout: 90_000 }, () => {
  const world = useWalletNode();

  test('locks after 5 idle minutes or 1 minute out of sight; activity keeps it open', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const { page, problems } = await newWalletPage(browser, world);
      await page.clock.install();
      await createWallet(page, world.node.url);

      await page.clock.fastForward('04:00');
      await page.keyboard.press('Shift');
      await page.clock.fastForward('04:00');
      assert.equal(await screenOf(page), 'home', 'a key press four minutes in keeps the wallet open');
      await page.clock.fastForward('01:30');
      await screen(page, 'unlock');

      await unlock(page);
      await screen(page, 'home');
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await page.clock.fastForward('00:59');
      assert.equal(await screenOf(page), 'home');
      await page.clock.fastForward('00:02');
      await screen(page, 'unlock');
      // The relay refuses sync requests dated minutes ahead of its clock (401 relay_clock_skew):
      // that is the fake clock's doing, not the wallet's.
      assert.deepEqual(
        problems.filter((p) => !p.includes('status of 401')),
        [],
      );
    }));
});
