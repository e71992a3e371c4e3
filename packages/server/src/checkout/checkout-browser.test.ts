import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { findChromium, launchChromium, requireChromium } from '@webwallet/testkit';
import type { Browser, Page } from 'playwright-core';
import { type CheckoutTestApp, startCheckoutApp } from './harness.js';
import { MemoryCheckoutSource, paymentUri } from './memory-source.js';

const LONG_NAME = `Ünïcode & <Sons> ${'Wholesale'.repeat(8)} Trading Company of Extremely Long Names`;
const LONG_DESCRIPTION = `Order ${'#'.repeat(60)} — ${'x'.repeat(120)}`;

/** Records what a page does that a checkout page must not: CSP violations, errors, other origins. */
async function watchedPage(browser: Browser, origin: string, viewport = { width: 390, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    // Navigations (to the shop's redirect_url) are the buyer leaving, not the page loading things.
    if (request.isNavigationRequest()) return;
    const url = new URL(request.url());
    if (url.origin !== origin && url.protocol !== 'data:') foreign.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[]; __shift: number };
    w.__violations = [];
    w.__shift = 0;
    document.addEventListener('securitypolicyviolation', (event) =>
      w.__violations.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
        if (!entry.hadRecentInput) w.__shift += entry.value;
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const check = async () => {
    assert.deepEqual(foreign, [], 'requests to other origins');
    assert.deepEqual(errors, [], 'console errors');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), []);
  };
  return { page, check };
}

const status = (page: Page, value: string) =>
  page.waitForSelector(`#status[data-status="${value}"]`, { state: 'attached', timeout: 10_000 });

/** Bounding boxes of every part of the page, to compare before and after a status change. */
const boxes = (page: Page) =>
  page.evaluate(() =>
    [
      '.banner',
      'header',
      '#status',
      '#status-title',
      '#status-detail',
      '#timer',
      '.qr-box',
      '.actions',
      '#action-msg',
      '.uri',
      '.foot',
      'main',
    ].map((selector) => {
      const element = document.querySelector(selector);
      if (!element) return `${selector}: none`;
      const r = element.getBoundingClientRect();
      return `${selector}: ${r.x},${r.y} ${r.width}x${r.height}`;
    }),
  );

describe('checkout page in Chromium', { timeout: 180_000 }, () => {
  let browser: Browser | undefined;
  let source: MemoryCheckoutSource;
  let server: CheckoutTestApp;
  before(async () => {
    source = new MemoryCheckoutSource();
    // No payment method manifest is served by this bare checkout app, so the Payment Request API
    // stays off (Chromium would log the failed manifest download). The node serves one at /pay.
    server = await startCheckoutApp(source, { payment_method_path: null });
    const path = findChromium();
    if (path) browser = await launchChromium(path);
  });
  after(async () => {
    await browser?.close();
    await server.close();
  });

  /** The browser, or a skip (a failure under CI) when Chromium is missing. */
  const needBrowser = (t: TestContext): Browser | undefined => (requireChromium(t) ? browser : undefined);

  test('status changes arrive over SSE without a reload; Paid redirects to redirect_url', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice({ redirect_url: `${server.url}/thanks` });
    const { page, check } = await watchedPage(b, server.url);
    await page.goto(`${server.url}/i/${invoice.id}`);
    await status(page, 'New');
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    source.update(invoice.id, { additional_status: 'PaidPartial', amount_paid: '5.00', amount_due: '7.50' });
    await page.waitForFunction(() =>
      document.getElementById('status-detail')?.textContent?.includes('7.50 USD still due'),
    );
    source.update(invoice.id, { status: 'Processing', additional_status: 'None' });
    await status(page, 'Processing');
    assert.equal(await page.textContent('#status-title'), 'Payment received, confirming…');
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true);
    await check();
    const settledAt = Date.now();
    source.update(invoice.id, { status: 'Settled', amount_paid: '12.50', amount_due: '0.00' });
    await status(page, 'Settled');
    assert.equal(await page.textContent('#status-title'), 'Paid');
    assert.equal(await page.isVisible('#return'), true);
    await page.waitForURL(`${server.url}/thanks`, { timeout: 10_000 });
    const waited = Date.now() - settledAt;
    assert.ok(waited >= 1500 && waited < 8000, `redirected after ${waited} ms`);
    await page.close();
  });

  test('redirect_url is followed only when it is http(s)', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice({ status: 'Settled', redirect_url: 'javascript:alert(1)' });
    const { page, check } = await watchedPage(b, server.url);
    await page.goto(`${server.url}/i/${invoice.id}`);
    await status(page, 'Settled');
    await page.waitForTimeout(2500);
    assert.equal(page.url(), `${server.url}/i/${invoice.id}`);
    assert.equal(await page.$('#return'), null);
    await check();
    await page.close();
  });

  test('the page fits 320 px without horizontal scrolling, in every state', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice({
      merchant_name: LONG_NAME,
      description: LONG_DESCRIPTION,
      amount: '123456789012.99',
      currency: 'LONGCOIN',
      redirect_url: `${server.url}/thanks?${'q'.repeat(300)}`,
    });
    const { page, check } = await watchedPage(b, server.url, { width: 320, height: 640 });
    await page.goto(`${server.url}/i/${invoice.id}`);
    const states = [
      { status: 'New' as const },
      { additional_status: 'PaidPartial' as const, amount_paid: '100000000000.00', amount_due: '23456789012.99' },
      { status: 'Processing' as const, additional_status: 'None' as const },
      { status: 'Expired' as const, additional_status: 'PaidPartial' as const },
      { status: 'Settled' as const, additional_status: 'PaidOver' as const },
    ];
    for (const fields of states) {
      const view = source.update(invoice.id, fields);
      await status(page, view.status);
      const { scroll, client } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      assert.equal(client, 320);
      assert.ok(scroll <= 320, `${view.status}: page is ${scroll} px wide`);
      // Fixed-height boxes must still hold their text at this width.
      const overflow = await page.evaluate(() =>
        Math.max(
          ...['status-title', 'status-detail'].map((id) => {
            const el = document.getElementById(id)!;
            return el.scrollHeight - el.clientHeight;
          }),
        ),
      );
      assert.ok(overflow <= 0, `${view.status}: status text overflows by ${overflow} px`);
    }
    await check();
    await page.close();
  });

  test('a status change moves nothing (same boxes, no layout shift)', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    for (const mode of ['test', 'live'] as const) {
      const invoice = source.addInvoice({ mode, redirect_url: 'https://shop.example/thanks' });
      const { page, check } = await watchedPage(b, server.url, { width: 360, height: 900 });
      // The shop answers 204, so the redirect leaves this document in place (HTML: a 204 does not navigate).
      await page.route('https://shop.example/**', (route) => route.fulfill({ status: 204 }));
      await page.goto(`${server.url}/i/${invoice.id}`);
      await status(page, 'New');
      const initial = await boxes(page);
      assert.ok(!initial.some((b) => b.endsWith(': none') && !b.startsWith('.banner')), initial.join('\n'));
      const steps = [
        { additional_status: 'PaidPartial' as const, amount_paid: '5.00', amount_due: '7.50' },
        { status: 'Processing' as const, additional_status: 'None' as const },
        { status: 'Settled' as const, additional_status: 'PaidOver' as const, amount_paid: '13.00' },
      ];
      for (const fields of steps) {
        const view = source.update(invoice.id, fields);
        await status(page, view.status);
        await page.waitForTimeout(100);
        assert.deepEqual(await boxes(page), initial, `${mode} ${view.status} ${view.additional_status}`);
      }
      const shift = await page.evaluate(() => (window as unknown as { __shift: number }).__shift);
      assert.equal(shift, 0, `cumulative layout shift ${shift}`);
      await check();
      await page.close();
    }
  });

  test('"Pay with test wallet" pays a test invoice from the page', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice({ mode: 'test' });
    const { page, check } = await watchedPage(b, server.url);
    await page.goto(`${server.url}/i/${invoice.id}`);
    assert.equal(await page.textContent('.banner'), 'Test mode — play money');
    await page.getByRole('button', { name: 'Pay with test wallet' }).click();
    await status(page, 'Settled');
    assert.equal(source.paid.at(-1)?.invoiceId, invoice.id);
    await check();
    await page.close();
  });

  test('without EventSource the page polls GET /v1/checkout/{id}', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice();
    const { page, check } = await watchedPage(b, server.url);
    await page.addInitScript(() => {
      delete (window as unknown as { EventSource?: unknown }).EventSource;
    });
    const polls: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith(`/v1/checkout/${invoice.id}`)) polls.push(request.url());
    });
    await page.goto(`${server.url}/i/${invoice.id}`);
    source.update(invoice.id, { status: 'Processing' });
    await status(page, 'Processing');
    assert.ok(polls.length >= 1);
    await check();
    await page.close();
  });

  test('when the event stream is refused the page falls back to polling', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice();
    const { page } = await watchedPage(b, server.url);
    await page.route(`**/v1/checkout/${invoice.id}/events`, (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }),
    );
    await page.goto(`${server.url}/i/${invoice.id}`);
    source.update(invoice.id, { status: 'Settled' });
    await status(page, 'Settled');
    await page.close();
  });

  test('the countdown runs on the node clock, and the page shows Expired when it ends', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    // The node's clock is 2 hours ahead of this machine's: a client-clock countdown would show 2:10:00.
    const skewed = new MemoryCheckoutSource();
    skewed.clockSkewMs = 2 * 3_600_000;
    const own = await startCheckoutApp(skewed, { payment_method_path: null });
    try {
      const invoice = skewed.addInvoice({
        expires_at: new Date(Date.now() + skewed.clockSkewMs + 600_000).toISOString(),
      });
      const short = skewed.addInvoice({ expires_at: new Date(Date.now() + skewed.clockSkewMs + 2500).toISOString() });
      const { page, check } = await watchedPage(b, own.url);
      await page.goto(`${own.url}/i/${invoice.id}`);
      await page.waitForTimeout(1200);
      assert.match((await page.textContent('#timer-value')) ?? '', /^(9:5\d|10:00)$/);
      await page.goto(`${own.url}/i/${short.id}`);
      await status(page, 'New');
      await status(page, 'Expired');
      assert.equal(await page.textContent('#status-title'), 'Expired');
      assert.equal(await page.isVisible('#pay-now'), false);
      await check();
      await page.close();
    } finally {
      await own.close();
    }
  });

  test('a new payment URI replaces the QR code (served by the node) and the link', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice();
    const { page, check } = await watchedPage(b, server.url);
    await page.goto(`${server.url}/i/${invoice.id}`);
    assert.ok(await page.$('#qr svg[role="img"][aria-label]'));
    const uri = paymentUri(invoice.id, '7.50', 'USD');
    source.update(invoice.id, { additional_status: 'PaidPartial', amount_due: '7.50', payment_uri: uri });
    const img = await page.waitForSelector('#qr img');
    await page.waitForFunction(() => (document.querySelector('#qr img') as HTMLImageElement | null)?.complete);
    assert.ok((await img.evaluate((el) => (el as HTMLImageElement).naturalWidth)) > 0, 'QR image loaded');
    assert.equal(await page.getAttribute('#pay-now', 'href'), uri);
    assert.equal(await page.inputValue('#payment-uri'), uri);
    await check();
    await page.close();
  });

  test('keyboard and screen reader basics', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const invoice = source.addInvoice({ mode: 'test' });
    const { page, check } = await watchedPage(b, server.url);
    await page.goto(`${server.url}/i/${invoice.id}`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    const live = await page.$('[role="status"][aria-live="polite"]#status');
    assert.ok(live, 'status region');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Amount: 12.50 USD');
    assert.ok(await page.getByLabel('Payment URI, for pasting into a wallet').isVisible());
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        return { id: el.id, outline: `${style.outlineStyle} ${style.outlineWidth}` };
      });
      assert.equal(focused.outline, 'solid 3px', `focus ring on #${focused.id}`);
      order.push(focused.id);
    }
    assert.deepEqual(order, ['pay-now', 'sandbox-pay', 'payment-uri', 'copy']);
    await page.keyboard.press('Enter'); // on Copy
    await page.waitForFunction(() => document.getElementById('copy-note')?.textContent !== '');
    // Once paid, the pay controls leave the tab order with the rest of the payable state.
    source.update(invoice.id, { status: 'Settled' });
    await status(page, 'Settled');
    await page.focus('body');
    await page.keyboard.press('Tab');
    assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'pay-now');
    await check();
    await page.close();
  });

  test('payment links: fixed amount redirects, customer amount goes through the form', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    source.addLink({ id: 'pl_browser_fixed', amount: '3.00' });
    source.addLink({ id: 'pl_browser_custom', amount_min: '1.00', amount_max: '50.00', description: 'Tip jar' });
    const { page, check } = await watchedPage(b, server.url, { width: 320, height: 640 });
    await page.goto(`${server.url}/l/pl_browser_fixed`);
    await status(page, 'New');
    assert.match(page.url(), /\/i\/inv_test\d+$/);
    assert.equal(await page.textContent('h1'), 'Amount: 3.00 USD');

    await page.goto(`${server.url}/l/pl_browser_custom`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320));
    await page.getByLabel('Amount in USD').fill('7.25');
    await page.keyboard.press('Enter');
    await status(page, 'New');
    assert.equal(await page.textContent('h1'), 'Amount: 7.25 USD');
    await check();
    await page.close();
  });

  test('with a payment method configured, the page probes the Payment Request API and keeps the link', async (t) => {
    const b = needBrowser(t);
    if (!b) return;
    const own = await startCheckoutApp(source); // default: "/pay"
    try {
      const invoice = source.addInvoice();
      const page = await b.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${own.url}/i/${invoice.id}`);
      await status(page, 'New');
      assert.equal(await page.evaluate(() => typeof PaymentRequest), 'function');
      assert.equal(await page.getAttribute('#pay-now', 'href'), invoice.payment_uri);
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await own.close();
    }
  });
});
