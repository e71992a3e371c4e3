import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { assertErrorShape } from '../test-helpers.js';
import { type CheckoutTestApp, startCheckoutApp } from './harness.js';
import { escapeHtml, html, SafeHtml } from './html.js';
import { checkLinkAmount, compareDecimal, normalizeAmountInput } from './link-amount.js';
import { MemoryCheckoutSource, paymentUri } from './memory-source.js';
import type { CheckoutView, PaymentLinkView } from './source.js';
import { describeStatus, formatRemaining } from './status-text.js';

const HOSTILE_NAME = '<script>alert(1)</script> & "Shop\' <b>';
const HOSTILE_DESCRIPTION = '</script><img src=x onerror=alert(2)><!--';

const form = (body: string) =>
  ({
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  }) as const;

/** Reads a text/event-stream response block by block ("\n\n"-separated). */
async function openStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const nextBlock = async (): Promise<string> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return block;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
  const nextEvent = async (): Promise<CheckoutView> => {
    for (;;) {
      const block = await nextBlock();
      if (!block.startsWith('event: ')) continue;
      const lines = block.split('\n');
      assert.equal(lines[0], 'event: invoice');
      assert.equal(lines.length, 2, block);
      assert.ok(lines[1]!.startsWith('data: '));
      return JSON.parse(lines[1]!.slice(6)) as CheckoutView;
    }
  };
  return {
    response,
    nextBlock,
    nextEvent,
    close: () => {
      controller.abort();
      reader.cancel().catch(() => undefined);
    },
  };
}

const waitFor = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** The page without its JSON data blocks, which legitimately hold untrusted strings (escaped for JSON). */
const withoutData = (page: string) => page.replace(/<script type="application\/json"[^>]*>[^<]*<\/script>/g, '');

describe('checkout routes', () => {
  let source: MemoryCheckoutSource;
  let server: CheckoutTestApp;
  before(async () => {
    source = new MemoryCheckoutSource();
    server = await startCheckoutApp(source, { streams: { per_invoice_max: 2, total_max: 3, keep_alive_ms: 100 } });
  });
  after(async () => {
    await server.close();
  });

  test('GET /v1/checkout/{id} answers the public view only', async () => {
    const invoice = source.addInvoice({ redirect_url: 'https://shop.example/thanks' });
    // A source may hand over a richer object; nothing beyond the public fields may leak.
    source.update(invoice.id, { store_id: 'st_secret', metadata: { x: 1 } } as Partial<CheckoutView>);
    const response = await fetch(`${server.url}/v1/checkout/${invoice.id}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'additional_status',
      'amount',
      'amount_due',
      'amount_paid',
      'currency',
      'description',
      'expires_at',
      'id',
      'merchant_name',
      'mode',
      'payment_uri',
      'redirect_url',
      'server_time',
      'status',
    ]);
    assert.equal(body.id, invoice.id);
    assert.equal(body.redirect_url, 'https://shop.example/thanks');
    assert.ok(Math.abs(Date.parse(String(body.server_time)) - Date.now()) < 5000);
  });

  test('unknown invoices are 404 invoice_not_found, malformed ids 400, in the node error shape', async () => {
    const missing = await fetch(`${server.url}/v1/checkout/inv_nope`);
    assert.equal(missing.status, 404);
    assertErrorShape(await missing.json(), 'invoice_not_found');
    const events = await fetch(`${server.url}/v1/checkout/inv_nope/events`);
    assert.equal(events.status, 404);
    assertErrorShape(await events.json(), 'invoice_not_found');
    const malformed = await fetch(`${server.url}/v1/checkout/${encodeURIComponent('inv x<>')}`);
    assert.equal(malformed.status, 400);
    assertErrorShape(await malformed.json(), 'invalid_request');
    const head = await fetch(`${server.url}/v1/checkout/inv_nope/events`, { method: 'HEAD' });
    assert.equal(head.status, 404, 'HEAD must not open a stream');
    assert.equal(server.routes.streams.count(), 0);
  });

  test('the checkout page escapes untrusted text everywhere', async () => {
    const invoice = source.addInvoice({
      merchant_name: HOSTILE_NAME,
      description: HOSTILE_DESCRIPTION,
      redirect_url: 'https://shop.example/"><script>alert(3)</script>',
    });
    const response = await fetch(`${server.url}/i/${invoice.id}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    const page = await response.text();
    assert.ok(!page.includes('alert(1)</script>') && !page.includes('<img src=x'), 'raw markup in page');
    assert.ok(page.includes(escapeHtml(HOSTILE_NAME)));
    assert.ok(page.includes(escapeHtml(HOSTILE_DESCRIPTION)));
    // The JSON data keeps the exact strings, with "<" escaped so nothing can close the element.
    const data = /<script type="application\/json" id="checkout-data">([^<]*)<\/script>/.exec(page);
    assert.ok(data, 'data block');
    const parsed = JSON.parse(data[1]!) as CheckoutView;
    assert.equal(parsed.merchant_name, HOSTILE_NAME);
    assert.equal(parsed.description, HOSTILE_DESCRIPTION);
    // Exactly one script runs: the page's own (the others are inert JSON).
    const scripts = page.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.filter((s) => !s.includes('type="application/json"')).length, 1);
    assert.equal(scripts.length, 3);
    assert.ok(page.includes(`<title>Pay 12.50 USD to ${escapeHtml(HOSTILE_NAME)}</title>`));
    // Return link: escaped attribute.
    assert.ok(page.includes('href="https://shop.example/%22%3E%3Cscript%3Ealert(3)%3C/script%3E"'));
  });

  test('the page carries a strict CSP, a fresh nonce, and loads nothing from elsewhere', async () => {
    const invoice = source.addInvoice();
    const first = await fetch(`${server.url}/i/${invoice.id}`);
    const second = await fetch(`${server.url}/i/${invoice.id}`);
    const csp = first.headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.deepEqual(Object.fromEntries(directives), {
      'default-src': "'none'",
      'script-src': `'nonce-${nonce}'`,
      'style-src': `'nonce-${nonce}'`,
      'connect-src': "'self'",
      'img-src': "'self' data:",
      'form-action': "'self'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
    });
    assert.notEqual(second.headers.get('content-security-policy'), csp, 'nonce reused');
    assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(first.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const page = await first.text();
    await second.text();
    for (const tag of page.match(/<(script|style)\b[^>]*>/g) ?? []) {
      if (tag.includes('application/json')) continue;
      assert.ok(tag.includes(`nonce="${nonce}"`), tag);
    }
    const markup = withoutData(page);
    assert.doesNotMatch(markup, /https?:\/\//, 'absolute URL in the page');
    assert.doesNotMatch(markup, /\/\/[a-z0-9.-]+\.[a-z]{2,}/i, 'protocol-relative URL in the page');
    // The only link element is an empty data: favicon, so browsers do not request /favicon.ico.
    assert.deepEqual(markup.match(/<link\b[^>]*>/g), ['<link rel="icon" href="data:,">']);
    assert.doesNotMatch(markup, /<(iframe|object|embed|base)\b|@import|\ssrc=/i);
    const style = /<style[^>]*>([^<]*)<\/style>/.exec(markup)?.[1] ?? '';
    assert.doesNotMatch(style, /url\(/, 'CSS loads nothing');
    for (const [, href] of markup.matchAll(/href="([^"]*)"/g)) {
      assert.ok(href!.startsWith('web+webwallet:') || href!.startsWith('/') || href === 'data:,', href);
    }
    assert.ok(Buffer.byteLength(page) < 30_000, `page is ${Buffer.byteLength(page)} bytes`);
  });

  test('the page shows test mode, and live pages do not', async () => {
    const test = await (await fetch(`${server.url}/i/${source.addInvoice({ mode: 'test' }).id}`)).text();
    assert.ok(test.includes('Test mode — play money'));
    assert.ok(test.includes('id="sandbox-pay"'));
    const live = await (await fetch(`${server.url}/i/${source.addInvoice({ mode: 'live' }).id}`)).text();
    assert.ok(!live.includes('Test mode'));
    assert.ok(!live.includes('id="sandbox-pay"'));
  });

  test('each status renders its own text, and data-status names it', async () => {
    const cases: [Partial<CheckoutView>, string, string][] = [
      [{ status: 'New' }, 'New', 'Waiting for payment'],
      [
        { status: 'New', additional_status: 'PaidPartial', amount_paid: '5.00', amount_due: '7.50' },
        'New',
        '5.00 USD paid, 7.50 USD still due.',
      ],
      [{ status: 'Processing' }, 'Processing', 'Payment received, confirming…'],
      [{ status: 'Settled' }, 'Settled', 'Paid'],
      [{ status: 'Expired' }, 'Expired', 'This invoice expired before it was paid.'],
      [{ status: 'Invalid' }, 'Invalid', 'This invoice was cancelled.'],
      [{ status: 'New', expires_at: new Date(Date.now() - 1000).toISOString() }, 'Expired', 'Expired'],
    ];
    for (const [fields, status, text] of cases) {
      const page = await (await fetch(`${server.url}/i/${source.addInvoice(fields).id}`)).text();
      assert.match(page, new RegExp(`role="status" aria-live="polite"[^>]*data-status="${status}"`), status);
      assert.ok(page.includes(text), `${status}: ${text}`);
    }
  });

  test('an unknown or malformed invoice id gets an HTML 404 page', async () => {
    for (const id of ['inv_nope', 'inv%20%3Cx%3E', 'a'.repeat(200)]) {
      const response = await fetch(`${server.url}/i/${id}`);
      assert.equal(response.status, 404, id);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.ok(response.headers.get('content-security-policy')?.startsWith("default-src 'none'"));
      const page = await response.text();
      assert.ok(page.includes('<h1>Invoice not found</h1>'));
      assert.ok(!page.includes('<x>'));
    }
  });

  test('GET /i/{id}/qr.svg is the QR code of the current payment URI', async () => {
    const invoice = source.addInvoice();
    const response = await fetch(`${server.url}/i/${invoice.id}/qr.svg`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.equal(response.headers.get('content-security-policy'), "default-src 'none'");
    assert.match(await response.text(), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
    assert.equal((await fetch(`${server.url}/i/inv_nope/qr.svg`)).status, 404);
  });

  test('the event stream sends the view at once and after every change, with keep-alives', async () => {
    const invoice = source.addInvoice();
    const stream = await openStream(`${server.url}/v1/checkout/${invoice.id}/events`);
    try {
      assert.equal(stream.response.status, 200);
      assert.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(stream.response.headers.get('cache-control'), 'no-store');
      assert.equal(stream.response.headers.get('x-accel-buffering'), 'no');
      assert.equal(await stream.nextBlock(), 'retry: 3000');
      const first = await stream.nextEvent();
      assert.equal(first.status, 'New');
      source.update(invoice.id, { status: 'Processing' });
      assert.equal((await stream.nextEvent()).status, 'Processing');
      source.update(invoice.id, { status: 'Settled', amount_paid: '12.50', amount_due: '0.00' });
      const settled = await stream.nextEvent();
      assert.equal(settled.status, 'Settled');
      assert.equal(settled.amount_due, '0.00');
      assert.ok(!('store_id' in settled));
      // keep_alive_ms is 100 in this app (15 s by default).
      let block = await stream.nextBlock();
      while (block.startsWith('event:')) block = await stream.nextBlock();
      assert.equal(block, ': keep-alive');
      assert.equal(source.listenerCount(invoice.id), 1);
    } finally {
      stream.close();
    }
    await waitFor(() => source.listenerCount(invoice.id) === 0, 'unsubscribe after close');
    await waitFor(() => server.routes.streams.count() === 0, 'stream slot released');
  });

  test('event streams are capped per invoice (429) and per node (503)', async () => {
    const a = source.addInvoice();
    const b = source.addInvoice();
    const open = [
      await openStream(`${server.url}/v1/checkout/${a.id}/events`),
      await openStream(`${server.url}/v1/checkout/${a.id}/events`),
    ];
    try {
      const third = await fetch(`${server.url}/v1/checkout/${a.id}/events`);
      assert.equal(third.status, 429);
      assert.equal(third.headers.get('retry-after'), '10');
      const error = assertErrorShape(await third.json(), 'rate_limited');
      assert.match(error.message, /open event streams/);
      open.push(await openStream(`${server.url}/v1/checkout/${b.id}/events`));
      const fourth = await fetch(`${server.url}/v1/checkout/${b.id}/events`);
      assert.equal(fourth.status, 503);
      assertErrorShape(await fourth.json(), 'service_unavailable');
      assert.equal(server.routes.streams.count(), 3);
    } finally {
      for (const stream of open) stream.close();
    }
    await waitFor(() => server.routes.streams.count() === 0, 'all slots released');
    const again = await openStream(`${server.url}/v1/checkout/${a.id}/events`);
    assert.equal(again.response.status, 200);
    again.close();
    await waitFor(() => server.routes.streams.count() === 0, 'slot released');
  });

  test('closing the app ends open event streams instead of waiting for them', async () => {
    const own = new MemoryCheckoutSource();
    const invoice = own.addInvoice();
    const app = await startCheckoutApp(own);
    const stream = await openStream(`${app.url}/v1/checkout/${invoice.id}/events`);
    await stream.nextEvent();
    const started = Date.now();
    await app.close();
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(stream.nextBlock(), /stream ended|terminated|aborted/);
    assert.equal(own.listenerCount(invoice.id), 0);
  });

  test('POST /v1/checkout/{id}/pay submits the document and answers the transaction id', async () => {
    const invoice = source.addInvoice();
    const document = { type: 'ledger.transfer', version: 1, body: { memo: invoice.id }, signatures: [] };
    const post = (id: string, body: string, type = 'application/json') =>
      fetch(`${server.url}/v1/checkout/${id}/pay`, { method: 'POST', headers: { 'content-type': type }, body });
    const paid = await post(invoice.id, JSON.stringify({ document }));
    assert.equal(paid.status, 200);
    assert.match(((await paid.json()) as { transaction_id: string }).transaction_id, /^tx_/);
    assert.deepEqual(source.paid.at(-1), { invoiceId: invoice.id, document });
    const again = await post(invoice.id, JSON.stringify({ document }));
    assert.equal(again.status, 409);
    assertErrorShape(await again.json(), 'invoice_state_invalid');
    const missing = await post('inv_nope', JSON.stringify({ document }));
    assert.equal(missing.status, 404);
    assertErrorShape(await missing.json(), 'invoice_not_found');
    const bad = await post(invoice.id, JSON.stringify({ document: { type: 'x' } }));
    assert.equal(bad.status, 400);
    assertErrorShape(await bad.json(), 'invalid_request');
    const extra = await post(invoice.id, JSON.stringify({ document, tip: '1' }));
    assert.equal(extra.status, 400);
    // The form parser belongs to the link form only: JSON routes still refuse form bodies.
    const formBody = await post(invoice.id, 'document=x', 'application/x-www-form-urlencoded');
    assert.equal(formBody.status, 415);
    assertErrorShape(await formBody.json(), 'unsupported_media_type');
  });

  test('POST /v1/checkout/{id}/sandbox-pay pays test invoices only', async () => {
    const invoice = source.addInvoice({ mode: 'test' });
    const paid = await fetch(`${server.url}/v1/checkout/${invoice.id}/sandbox-pay`, { method: 'POST' });
    assert.equal(paid.status, 200);
    assert.ok(((await paid.json()) as { transaction_id: string }).transaction_id);
    assert.equal((await source.view(invoice.id))?.status, 'Settled');
    const live = source.addInvoice({ mode: 'live' });
    const refused = await fetch(`${server.url}/v1/checkout/${live.id}/sandbox-pay`, { method: 'POST' });
    assert.equal(refused.status, 403);
    assertErrorShape(await refused.json(), 'sandbox_only');
    assert.equal((await source.view(live.id))?.status, 'New');
    const missing = await fetch(`${server.url}/v1/checkout/inv_nope/sandbox-pay`, { method: 'POST' });
    assert.equal(missing.status, 404);
  });

  test('a fixed-amount payment link creates an invoice and redirects (303); HEAD creates nothing', async () => {
    source.addLink({ id: 'pl_fixed', amount: '5.00', description: 'Coffee' });
    const before = source.invoices.size;
    const head = await fetch(`${server.url}/l/pl_fixed`, { method: 'HEAD' });
    assert.notEqual(head.status, 303);
    assert.equal(source.invoices.size, before);
    const response = await fetch(`${server.url}/l/pl_fixed`, { redirect: 'manual' });
    assert.equal(response.status, 303);
    const location = response.headers.get('location') ?? '';
    assert.match(location, /^\/i\/inv_test\d+$/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const invoice = source.invoices.get(location.slice(3))!;
    assert.equal(invoice.amount, '5.00');
    assert.equal(invoice.description, 'Coffee');
    const page = await fetch(`${server.url}${location}`);
    assert.equal(page.status, 200);
  });

  test('a customer-entered link shows an accessible form that redirects (303) to the new invoice', async () => {
    source.addLink({ id: 'pl_custom', amount_min: '1.00', amount_max: '500.00', merchant_name: HOSTILE_NAME });
    const response = await fetch(`${server.url}/l/pl_custom`);
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('content-security-policy')?.includes("form-action 'self'"));
    const page = await response.text();
    assert.match(page, /<form method="post" action="\/l\/pl_custom">/);
    assert.match(page, /<label for="amount">Amount in USD<\/label>/);
    assert.match(page, /<input id="amount" name="amount" type="number"[^>]* min="1.00" max="500.00" required/);
    assert.ok(page.includes('aria-describedby="amount-hint"'));
    assert.ok(page.includes(escapeHtml(HOSTILE_NAME)) && !page.includes(HOSTILE_NAME));

    const posted = await fetch(`${server.url}/l/pl_custom`, form('amount=+012%2C5+'));
    assert.equal(posted.status, 303);
    const location = posted.headers.get('location') ?? '';
    assert.match(location, /^\/i\/inv_test\d+$/);
    assert.equal(source.invoices.get(location.slice(3))?.amount, '12.5');
  });

  test('a bad amount re-renders the form with the error (400), keeping what was typed', async () => {
    source.addLink({ id: 'pl_range', amount_min: '2.00', amount_max: '10.00' });
    const before = source.invoices.size;
    const cases: [string, string][] = [
      ['amount=', 'Enter an amount.'],
      ['other=1', 'Enter an amount.'],
      ['amount=abc', 'Enter the amount as a number, such as 12.50.'],
      ['amount=1e3', 'Enter the amount as a number, such as 12.50.'],
      ['amount=-5', 'Enter the amount as a number, such as 12.50.'],
      ['amount=0', 'Enter an amount greater than 0.'],
      ['amount=1.99', 'Enter at least 2.00 USD.'],
      ['amount=10.01', 'Enter at most 10.00 USD.'],
      ['amount=5.001', 'USD amounts have at most 2 decimal places.'], // refused by the source
      [`amount=${encodeURIComponent('"><script>x</script>')}`, 'Enter the amount as a number, such as 12.50.'],
    ];
    for (const [body, message] of cases) {
      const response = await fetch(`${server.url}/l/pl_range`, form(body));
      assert.equal(response.status, 400, body);
      const page = await response.text();
      assert.ok(page.includes(`<p id="amount-error" class="error">${escapeHtml(message)}</p>`), `${body}: ${page}`);
      assert.ok(page.includes('aria-invalid="true"'));
      assert.ok(page.includes('aria-describedby="amount-hint amount-error"'));
      assert.ok(!page.includes('<script>x'), body);
    }
    const kept = await (await fetch(`${server.url}/l/pl_range`, form('amount=abc'))).text();
    assert.ok(kept.includes('value="abc"'));
    assert.equal(source.invoices.size, before);
  });

  test('inactive and unknown links are HTML 404 pages; an oversized form is an HTML 413', async () => {
    source.addLink({ id: 'pl_off', amount: '5.00', active: false });
    for (const path of ['/l/pl_off', '/l/pl_nope', '/l/bad%20id']) {
      const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.ok((await response.text()).includes('Payment link not found'));
    }
    const off = await fetch(`${server.url}/l/pl_off`, form('amount=5'));
    assert.equal(off.status, 404);
    source.addLink({ id: 'pl_big' });
    const big = await fetch(`${server.url}/l/pl_big`, form(`amount=1&pad=${'x'.repeat(5000)}`));
    assert.equal(big.status, 413);
    assert.equal(big.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.ok(big.headers.get('content-security-policy'));
  });

  test('the OpenAPI document stays valid and lists the checkout API', async () => {
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string; tags: string[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    const validator = new Validator();
    const result = await validator.validate(spec);
    assert.deepEqual(result.errors ?? [], [], JSON.stringify(result.errors, null, 2));
    assert.deepEqual(Object.keys(spec.paths).sort(), [
      '/v1/checkout/{id}',
      '/v1/checkout/{id}/events',
      '/v1/checkout/{id}/pay',
      '/v1/checkout/{id}/sandbox-pay',
    ]);
    assert.equal(spec.paths['/v1/checkout/{id}']!.get!.operationId, 'getCheckout');
    assert.deepEqual(spec.paths['/v1/checkout/{id}/events']!.get!.tags, ['checkout']);
    assert.ok(spec.components.schemas.CheckoutView);
  });
});

describe('checkout helpers', () => {
  test('html escapes interpolations unless marked safe', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const name = '<b>"Acme"</b>';
    assert.equal(
      html`<p title="${name}">${name}${null}${undefined}${false}${[name, 1]}${new SafeHtml('<i>ok</i>')}</p>`.value,
      '<p title="&lt;b&gt;&quot;Acme&quot;&lt;/b&gt;">&lt;b&gt;&quot;Acme&quot;&lt;/b&gt;&lt;b&gt;&quot;Acme&quot;&lt;/b&gt;1<i>ok</i></p>',
    );
  });

  test('typed amounts are normalised and compared exactly', () => {
    const cases: [string, string | undefined][] = [
      ['12.50', '12.50'],
      [' 7 ', '7'],
      ['012,5', '12.5'],
      ['.5', '0.5'],
      ['0', '0'],
      ['000', '0'],
      ['1e3', undefined],
      ['-1', undefined],
      ['1.', undefined],
      ['1,000.00', undefined],
      ['', undefined],
      ['9'.repeat(41), undefined],
      ['NaN', undefined],
      ['0x10', undefined],
    ];
    for (const [input, expected] of cases) assert.equal(normalizeAmountInput(input), expected, input);
    assert.equal(compareDecimal('1.5', '1.50'), 0);
    assert.equal(compareDecimal('1.05', '1.5'), -1);
    assert.equal(compareDecimal('10', '9.999'), 1);
    assert.equal(compareDecimal('99999999999999999999.1', '99999999999999999999.09'), 1);
    const link: PaymentLinkView = {
      id: 'pl_x',
      mode: 'test',
      merchant_name: 'A',
      currency: 'EUR',
      amount: null,
      amount_min: '1',
      amount_max: '2.5',
      description: null,
      active: true,
    };
    assert.deepEqual(checkLinkAmount(link, '2.50'), { ok: true, amount: '2.50' });
    assert.deepEqual(checkLinkAmount(link, '2.51'), { ok: false, message: 'Enter at most 2.5 EUR.' });
    assert.deepEqual(checkLinkAmount(link, '0.99'), { ok: false, message: 'Enter at least 1 EUR.' });
    assert.deepEqual(checkLinkAmount({ ...link, amount_min: null, amount_max: null }, '1000000'), {
      ok: true,
      amount: '1000000',
    });
  });

  test('status texts and the countdown format', () => {
    const view: CheckoutView = {
      id: 'inv_1',
      mode: 'live',
      status: 'New',
      additional_status: 'None',
      amount: '10.00',
      currency: 'EUR',
      amount_paid: '0.00',
      amount_due: '10.00',
      merchant_name: 'A',
      description: null,
      expires_at: '2030-01-01T00:10:00.000Z',
      payment_uri: paymentUri('inv_1', '10.00', 'EUR'),
      redirect_url: null,
      server_time: '2030-01-01T00:00:00.000Z',
    };
    const now = Date.parse(view.server_time);
    assert.equal(describeStatus(view, now).phase, 'pay');
    assert.equal(describeStatus(view, Date.parse(view.expires_at)).status, 'Expired');
    assert.equal(describeStatus({ ...view, status: 'Processing' }, now).phase, 'wait');
    const settled = describeStatus({ ...view, status: 'Settled', redirect_url: 'https://x.example' }, now);
    assert.equal(settled.phase, 'done');
    assert.match(settled.detail, /Returning you to the shop/);
    assert.match(
      describeStatus({ ...view, status: 'Settled', additional_status: 'PaidOver', amount_paid: '12.00' }, now).detail,
      /^12\.00 EUR paid, more than the amount due/,
    );
    assert.equal(
      describeStatus(
        { ...view, status: 'Expired', additional_status: 'PaidPartial', amount_paid: '4.00', amount_due: '6.00' },
        now,
      ).detail,
      '4.00 EUR paid, 6.00 EUR still due. Contact the merchant.',
    );
    assert.equal(describeStatus({ ...view, status: 'Invalid' }, now).title, 'Invalid');
    assert.equal(formatRemaining(0), '0:00');
    assert.equal(formatRemaining(-5000), '0:00');
    assert.equal(formatRemaining(59_001), '1:00');
    assert.equal(formatRemaining(14 * 60_000 + 5000), '14:05');
    assert.equal(formatRemaining(3 * 3_600_000 + 61_000), '3:01:01');
    assert.equal(formatRemaining(7 * 86_400_000), '7d 0h');
  });
});
