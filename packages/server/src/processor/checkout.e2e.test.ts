import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium, requireChromium } from '@webwallet/testkit';
import { startProcessorNode } from './test-support.js';

/**
 * The hosted checkout end to end, in headless Chromium against a real node: the buyer's page
 * turns Settled without a reload when the invoice is paid through the sandbox API.
 */
test('checkout page: paid from a dummy payer through the sandbox, the open page turns Settled without a reload', {
  timeout: 60_000,
}, async (t) => {
  const chromium = requireChromium(t);
  if (!chromium) return;
  const node = await startProcessorNode({ name: 'sqlite' });
  t.after(() => node.stop());
  const key = (await node.call('POST', '/v1/merchants', node.adminToken, { name: 'Corner Café' })).body.keys.test;
  const invoice = (
    await node.call('POST', '/v1/invoices', key, { amount: '4.20', currency: 'USD', description: 'Flat white' })
  ).body;
  const browser = await launchChromium(chromium);
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
  const external: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(node.url) && !request.url().startsWith('data:')) external.push(request.url());
  });
  let loads = 0;
  page.on('load', () => loads++);
  await page.goto(invoice.checkout_url);
  assert.equal(await page.locator('#status').getAttribute('data-status'), 'New');
  assert.match((await page.textContent('body')) ?? '', /Corner Café/);
  assert.match((await page.textContent('body')) ?? '', /4\.20/);
  assert.equal(await page.locator('#qr svg').count(), 1);

  const paid = await node.call('POST', `/v1/sandbox/invoices/${invoice.id}/pay`, key, { kind: 'exact' });
  assert.equal(paid.status, 200);
  await page.waitForSelector('#status[data-status="Settled"]', { timeout: 15_000 });
  assert.equal(loads, 1, 'the page never reloaded');
  assert.deepEqual(external, [], 'no third-party requests');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 360, `no horizontal scroll at phone width (${scrollWidth})`);
});

test('checkout page: the "Pay with test wallet" button pays a test invoice', { timeout: 60_000 }, async (t) => {
  const chromium = requireChromium(t);
  if (!chromium) return;
  const node = await startProcessorNode({ name: 'sqlite' });
  t.after(() => node.stop());
  const key = (await node.call('POST', '/v1/merchants', node.adminToken, { name: 'Shop' })).body.keys.test;
  const invoice = (await node.call('POST', '/v1/invoices', key, { amount: '1.00', currency: 'USD' })).body;
  const browser = await launchChromium(chromium);
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(invoice.checkout_url);
  await page.click('#sandbox-pay');
  await page.waitForSelector('#status[data-status="Settled"]', { timeout: 15_000 });
  const final = (await node.call('GET', `/v1/invoices/${invoice.id}`, key)).body;
  assert.equal(final.status, 'Settled');
});
