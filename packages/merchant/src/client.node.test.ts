import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { inspect } from 'node:util';
import { WebWalletMerchant, type WebWalletMerchantOptions } from './client.js';
import {
  WebWalletApiError,
  WebWalletAuthenticationError,
  WebWalletConnectionError,
  WebWalletNotFoundError,
  WebWalletPermissionError,
  WebWalletRateLimitError,
  WebWalletTimeoutError,
} from './errors.js';

// Every test talks to a real HTTP server on loopback, started here, that answers as scripted.

const TEST_KEY = 'ww_test_4eC39HqLyjWDarjtT1zdp7dc4eC39HqL';
const LIVE_KEY = 'ww_live_4eC39HqLyjWDarjtT1zdp7dc4eC39HqL';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers the n-th request (1-based). */
type Handler = (req: Seen, res: ServerResponse, n: number) => unknown;

interface Server {
  baseUrl: string;
  seen: Seen[];
  client(options?: Partial<WebWalletMerchantOptions>): WebWalletMerchant;
}

async function serve(t: TestContext, handler: Handler): Promise<Server> {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    };
    seen.push(request);
    await handler(request, res, seen.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    // Handlers that stall on purpose leave sockets open; close them so that the test ends.
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = (options: Partial<WebWalletMerchantOptions> = {}) =>
    new WebWalletMerchant({ apiKey: TEST_KEY, baseUrl, ...options });
  return { baseUrl, seen, client };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

function nodeError(res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  json(
    res,
    status,
    { error: { code, message: `${code} happened; here is how to fix it.`, details: { hint: 1 } } },
    headers,
  );
}

const invoice = { id: 'inv_1', object: 'invoice', amount: '12.50', checkout_url: 'http://node/i/inv_1' };

describe('WebWalletMerchant options', () => {
  test('the mode comes from the key prefix', () => {
    assert.equal(new WebWalletMerchant({ apiKey: TEST_KEY, baseUrl: 'https://pay.example' }).mode, 'test');
    assert.equal(new WebWalletMerchant({ apiKey: LIVE_KEY, baseUrl: 'https://pay.example' }).mode, 'live');
  });

  test('refuses anything but a secret key', () => {
    for (const apiKey of [
      '',
      'ww_prod_abc',
      'sk_test_abc',
      'ww_test_',
      'ww_test_abc def',
      'ww_test_abc\n',
      'whsec_abc',
    ]) {
      assert.throws(() => new WebWalletMerchant({ apiKey, baseUrl: 'https://pay.example' }), TypeError, apiKey);
    }
  });

  test('refuses bad base URLs and out-of-range limits', () => {
    const base = { apiKey: TEST_KEY, baseUrl: 'https://pay.example' };
    for (const baseUrl of [
      'pay.example',
      '/v1',
      'ftp://pay.example',
      'https://pay.example/?x=1',
      'https://pay.example/#a',
    ]) {
      assert.throws(() => new WebWalletMerchant({ ...base, baseUrl }), TypeError, baseUrl);
    }
    for (const timeout_ms of [0, -1, 1.5, Number.NaN, 600_001]) {
      assert.throws(() => new WebWalletMerchant({ ...base, timeout_ms }), RangeError, String(timeout_ms));
    }
    for (const maxRetries of [-1, 0.5, 11]) {
      assert.throws(() => new WebWalletMerchant({ ...base, maxRetries }), RangeError, String(maxRetries));
    }
    assert.doesNotThrow(() => new WebWalletMerchant({ ...base, timeout_ms: 1, maxRetries: 0 }));
  });

  test('logging the client does not print the API key', () => {
    const ww = new WebWalletMerchant({ apiKey: TEST_KEY, baseUrl: 'https://pay.example' });
    const printed = inspect(ww, { depth: 10, showHidden: true });
    assert.ok(!printed.includes(TEST_KEY.slice(8)), printed);
    assert.ok(!JSON.stringify(ww).includes(TEST_KEY.slice(8)));
  });
});

describe('requests', () => {
  test('invoices.create: POST with bearer key, JSON body and a fresh Idempotency-Key', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 201, invoice, { 'webwallet-mode': 'test' }));
    const ww = server.client();
    const params = { amount: '12.50', currency: 'USD', order_id: 'order-42', metadata: { sku: 'A1' } };
    assert.deepEqual(await ww.invoices.create(params), invoice);
    await ww.invoices.create(params);
    const [first, second] = server.seen;
    assert.equal(first?.method, 'POST');
    assert.equal(first?.url, '/v1/invoices');
    assert.equal(first?.headers.authorization, `Bearer ${TEST_KEY}`);
    assert.equal(first?.headers['content-type'], 'application/json');
    assert.equal(first?.headers.accept, 'application/json');
    assert.deepEqual(JSON.parse(first?.body ?? ''), params);
    assert.match(String(first?.headers['idempotency-key']), UUID);
    assert.notEqual(first?.headers['idempotency-key'], second?.headers['idempotency-key'], 'one key per call');
  });

  test('a given idempotency key is sent as is; an invalid one is refused before sending', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 201, invoice));
    const ww = server.client();
    await ww.invoices.create({ amount: '1.00', currency: 'USD' }, { idempotencyKey: 'order-42/attempt-1' });
    assert.equal(server.seen[0]?.headers['idempotency-key'], 'order-42/attempt-1');
    for (const idempotencyKey of ['', 'é', 'a\nb', 'x'.repeat(256)]) {
      await assert.rejects(ww.invoices.create({ amount: '1.00', currency: 'USD' }, { idempotencyKey }), TypeError);
    }
    assert.equal(server.seen.length, 1);
  });

  test('GETs carry neither a body nor an Idempotency-Key', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 200, invoice));
    await server.client().invoices.retrieve('inv_1');
    const [seen] = server.seen;
    assert.equal(seen?.method, 'GET');
    assert.equal(seen?.url, '/v1/invoices/inv_1');
    assert.equal(seen?.body, '');
    assert.equal(seen?.headers['idempotency-key'], undefined);
    assert.equal(seen?.headers['content-type'], undefined);
  });

  test('keeps a base URL path prefix and encodes ids', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 200, invoice));
    const ww = server.client({ baseUrl: `${server.baseUrl}/ww/` });
    await ww.invoices.retrieve('inv_a/../b?c');
    assert.equal(server.seen[0]?.url, '/ww/v1/invoices/inv_a%2F..%2Fb%3Fc');
    await assert.rejects(ww.invoices.retrieve(''), TypeError);
    assert.equal(server.seen.length, 1);
  });

  test('list filters become the query string; Dates are sent as RFC 3339', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 200, { items: [invoice], next_cursor: null }));
    const ww = server.client();
    const page = await ww.invoices.list({
      status: 'Settled',
      created_from: new Date(Date.UTC(2025, 0, 1)),
      created_to: '2025-02-01T00:00:00Z',
      limit: 2,
    });
    assert.deepEqual(page, { items: [invoice], next_cursor: null });
    const url = new URL(server.seen[0]?.url ?? '', 'http://x');
    assert.equal(url.pathname, '/v1/invoices');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      status: 'Settled',
      created_from: '2025-01-01T00:00:00.000Z',
      created_to: '2025-02-01T00:00:00Z',
      limit: '2',
    });
    await ww.invoices.list();
    assert.equal(server.seen[1]?.url, '/v1/invoices');
  });

  test('every resource method calls the documented endpoint', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 200, { ok: true }));
    const ww = server.client();
    const calls: [() => Promise<unknown>, string, string, unknown?][] = [
      [() => ww.invoices.mark('inv_1', 'Invalid'), 'POST', '/v1/invoices/inv_1/mark', { status: 'Invalid' }],
      [
        () => ww.refunds.create({ invoice_id: 'inv_1', amount: '1.00' }),
        'POST',
        '/v1/refunds',
        { invoice_id: 'inv_1', amount: '1.00' },
      ],
      [() => ww.refunds.retrieve('re_1'), 'GET', '/v1/refunds/re_1'],
      [() => ww.refunds.list({ invoice_id: 'inv_1' }), 'GET', '/v1/refunds?invoice_id=inv_1'],
      [
        () => ww.payouts.create({ amount: '5.00', currency: 'USD', destination: 'acc_1' }),
        'POST',
        '/v1/payouts',
        { amount: '5.00', currency: 'USD', destination: 'acc_1' },
      ],
      [() => ww.payouts.retrieve('po_1'), 'GET', '/v1/payouts/po_1'],
      [() => ww.payouts.list({ limit: 5 }), 'GET', '/v1/payouts?limit=5'],
      [() => ww.balance.retrieve(), 'GET', '/v1/balance'],
      [
        () => ww.webhooks.create({ url: 'https://shop.example/ww', events: ['*'] }),
        'POST',
        '/v1/webhooks',
        { url: 'https://shop.example/ww', events: ['*'] },
      ],
      [() => ww.webhooks.retrieve('we_1'), 'GET', '/v1/webhooks/we_1'],
      [() => ww.webhooks.list(), 'GET', '/v1/webhooks'],
      [() => ww.webhooks.update('we_1', { enabled: false }), 'PATCH', '/v1/webhooks/we_1', { enabled: false }],
      [() => ww.webhooks.delete('we_1'), 'DELETE', '/v1/webhooks/we_1'],
      [() => ww.webhooks.rotateSecret('we_1'), 'POST', '/v1/webhooks/we_1/rotate-secret', {}],
      [
        () => ww.webhooks.rotateSecret('we_1', { previous_valid_s: 60 }),
        'POST',
        '/v1/webhooks/we_1/rotate-secret',
        { previous_valid_s: 60 },
      ],
      [() => ww.webhooks.deliveries('we_1'), 'GET', '/v1/webhooks/we_1/deliveries'],
      [() => ww.webhooks.redeliver('we_1', 'whd_1'), 'POST', '/v1/webhooks/we_1/deliveries/whd_1/redeliver', {}],
      [
        () => ww.paymentLinks.create({ currency: 'USD', amount: '5.00' }),
        'POST',
        '/v1/payment-links',
        { currency: 'USD', amount: '5.00' },
      ],
      [() => ww.paymentLinks.list(), 'GET', '/v1/payment-links'],
      [() => ww.paymentLinks.deactivate('pl_1'), 'DELETE', '/v1/payment-links/pl_1'],
      [() => ww.events.retrieve('evt_1'), 'GET', '/v1/events/evt_1'],
      [() => ww.events.list({ type: 'invoice.settled' }), 'GET', '/v1/events?type=invoice.settled'],
      [() => ww.keys.create({ scopes: ['reports'] }), 'POST', '/v1/keys', { scopes: ['reports'] }],
      [() => ww.keys.list(), 'GET', '/v1/keys'],
      [() => ww.keys.revoke('key_1'), 'DELETE', '/v1/keys/key_1'],
      [() => ww.sandbox.payers(), 'GET', '/v1/sandbox/payers'],
      [() => ww.sandbox.payInvoice('inv_1'), 'POST', '/v1/sandbox/invoices/inv_1/pay', {}],
      [
        () => ww.sandbox.payInvoice('inv_1', { payer: 2, kind: 'over' }),
        'POST',
        '/v1/sandbox/invoices/inv_1/pay',
        { payer: 2, kind: 'over' },
      ],
      [() => ww.sandbox.expireInvoice('inv_1'), 'POST', '/v1/sandbox/invoices/inv_1/expire', {}],
      [() => ww.sandbox.advanceClock(3600), 'POST', '/v1/sandbox/clock/advance', { seconds: 3600 }],
      [
        () => ww.sandbox.faucet({ account: 'acc_1', currency: 'USD', amount: '50.00' }),
        'POST',
        '/v1/sandbox/faucet',
        { account: 'acc_1', currency: 'USD', amount: '50.00' },
      ],
    ];
    for (const [call, method, url, body] of calls) {
      const before = server.seen.length;
      await call();
      const seen = server.seen[before];
      const label = `${method} ${url}`;
      assert.equal(`${seen?.method} ${seen?.url}`, label);
      assert.deepEqual(seen?.body ? JSON.parse(seen.body) : undefined, body, label);
      assert.equal(seen?.headers['idempotency-key'] !== undefined, method === 'POST', label);
      assert.equal(seen?.headers.authorization, `Bearer ${TEST_KEY}`, label);
    }
  });

  test('an empty 2xx answer (204 from a proxy, say) resolves without a parse error', async (t) => {
    const server = await serve(t, (_req, res) => res.writeHead(204).end());
    assert.equal(await server.client().keys.revoke('key_1'), undefined);
  });

  test('reports return the CSV text', async (t) => {
    const csv = 'id,amount\r\ninv_1,"12.50"\r\n';
    const server = await serve(t, (_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end(csv));
    const ww = server.client();
    assert.equal(
      await ww.reports.invoicesCsv({ from: new Date(Date.UTC(2025, 0, 1)), to: '2025-01-31T00:00:00Z' }),
      csv,
    );
    assert.equal(await ww.reports.paymentsCsv({ from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' }), csv);
    assert.equal(
      server.seen[0]?.url,
      '/v1/reports/invoices.csv?from=2025-01-01T00%3A00%3A00.000Z&to=2025-01-31T00%3A00%3A00Z',
    );
    assert.match(server.seen[1]?.url ?? '', /^\/v1\/reports\/payments\.csv\?from=/);
    assert.match(String(server.seen[0]?.headers.accept), /text\/csv/);
  });

  test('uses the fetch option instead of the global fetch', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 200, { mode: 'test', account: 'acc_1', balances: [] }));
    const urls: string[] = [];
    const ww = server.client({
      fetch: (input, init) => {
        urls.push(input);
        return fetch(input, init);
      },
    });
    assert.equal((await ww.balance.retrieve()).account, 'acc_1');
    assert.deepEqual(urls, [`${server.baseUrl}/v1/balance`]);
  });
});

describe('retries', () => {
  test('retries 503 with backoff, reusing the Idempotency-Key and body', async (t) => {
    const server = await serve(t, (_req, res, n) =>
      n < 3 ? nodeError(res, 503, 'service_unavailable') : json(res, 201, invoice),
    );
    const started = Date.now();
    assert.deepEqual(await server.client().invoices.create({ amount: '12.50', currency: 'USD' }), invoice);
    const elapsed = Date.now() - started;
    assert.equal(server.seen.length, 3);
    const keys = new Set(server.seen.map((s) => s.headers['idempotency-key']));
    assert.equal(keys.size, 1, 'one key across the retries');
    assert.equal(new Set(server.seen.map((s) => s.body)).size, 1);
    // Equal jitter: at least 125 ms then 250 ms.
    assert.ok(elapsed >= 360, `waited ${elapsed} ms`);
  });

  test('retries 502 and 504 too', async (t) => {
    for (const status of [502, 504]) {
      const server = await serve(t, (_req, res, n) =>
        n === 1 ? res.writeHead(status).end() : json(res, 200, { items: [], next_cursor: null }),
      );
      await server.client().invoices.list();
      assert.equal(server.seen.length, 2, String(status));
    }
  });

  test('honours Retry-After on 429', async (t) => {
    const server = await serve(t, (_req, res, n) =>
      n === 1 ? nodeError(res, 429, 'rate_limited', { 'retry-after': '1' }) : json(res, 200, invoice),
    );
    const started = Date.now();
    await server.client().invoices.retrieve('inv_1');
    const elapsed = Date.now() - started;
    assert.equal(server.seen.length, 2);
    assert.ok(elapsed >= 950 && elapsed < 5000, `waited ${elapsed} ms`);
  });

  test('throws WebWalletRateLimitError with retryAfterS once the retries are used up', async (t) => {
    const server = await serve(t, (_req, res) => nodeError(res, 429, 'rate_limited', { 'retry-after': '0' }));
    const error = await server
      .client({ maxRetries: 1 })
      .invoices.create({ amount: '1.00', currency: 'USD' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof WebWalletRateLimitError);
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterS, 0);
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[0]?.headers['idempotency-key'], server.seen[1]?.headers['idempotency-key']);
  });

  test('maxRetries: 0 sends once', async (t) => {
    const server = await serve(t, (_req, res) => nodeError(res, 503, 'service_unavailable', { 'retry-after': '0' }));
    await assert.rejects(server.client({ maxRetries: 0 }).balance.retrieve(), { status: 503 });
    assert.equal(server.seen.length, 1);
  });

  test('never retries other 4xx, nor 500', async (t) => {
    for (const [status, code] of [
      [422, 'insufficient_funds'],
      [400, 'invalid_request'],
      [409, 'invoice_state_invalid'],
      [500, 'internal_error'],
    ] as const) {
      const server = await serve(t, (_req, res) => nodeError(res, status, code));
      await assert.rejects(server.client().payouts.create({ amount: '1', currency: 'USD', destination: 'a' }), {
        status,
        code,
      });
      assert.equal(server.seen.length, 1, code);
    }
  });

  test('retries idempotency_key_in_use: the earlier attempt is still running', async (t) => {
    const server = await serve(t, (_req, res, n) =>
      n === 1
        ? nodeError(res, 409, 'idempotency_key_in_use', { 'retry-after': '0' })
        : json(res, 201, invoice, { 'idempotent-replayed': 'true' }),
    );
    await server.client().invoices.create({ amount: '12.50', currency: 'USD' });
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[0]?.headers['idempotency-key'], server.seen[1]?.headers['idempotency-key']);
  });

  test('retries a dropped connection with the same Idempotency-Key', async (t) => {
    const server = await serve(t, (req, res, n) => {
      if (n < 3) res.socket?.destroy();
      else json(res, 201, { ...invoice, key: req.headers['idempotency-key'] });
    });
    const created = (await server.client().invoices.create({ amount: '12.50', currency: 'USD' })) as unknown as {
      key: string;
    };
    assert.equal(server.seen.length, 3);
    assert.ok(server.seen.every((s) => s.headers['idempotency-key'] === created.key));
  });

  test('a connection that always fails ends in WebWalletConnectionError', async (t) => {
    const server = await serve(t, (_req, res) => res.socket?.destroy());
    const error = await server
      .client({ maxRetries: 1 })
      .balance.retrieve()
      .catch((e: unknown) => e);
    assert.ok(error instanceof WebWalletConnectionError);
    assert.ok(!(error instanceof WebWalletTimeoutError));
    assert.match(error.message, /GET http:\/\/127\.0\.0\.1:\d+\/v1\/balance failed before an answer arrived/);
    assert.ok(error.cause instanceof Error);
    assert.equal(server.seen.length, 2);
  });

  test('a refused connection is a WebWalletConnectionError', async (t) => {
    const server = await serve(t, () => undefined);
    const port = new URL(server.baseUrl).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.notEqual(String(freePort), port);
    const ww = new WebWalletMerchant({ apiKey: TEST_KEY, baseUrl: `http://127.0.0.1:${freePort}`, maxRetries: 0 });
    await assert.rejects(ww.balance.retrieve(), WebWalletConnectionError);
  });
});

describe('timeouts', () => {
  test('an attempt without an answer within timeout_ms is a WebWalletTimeoutError', async (t) => {
    const server = await serve(t, () => undefined);
    const started = Date.now();
    const error = await server
      .client({ timeout_ms: 100, maxRetries: 0 })
      .invoices.create({ amount: '1.00', currency: 'USD' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof WebWalletTimeoutError);
    assert.ok(error instanceof WebWalletConnectionError);
    assert.match(error.message, /POST .*\/v1\/invoices got no answer within 100 ms/);
    assert.ok(Date.now() - started < 2000);
  });

  test('a body that stalls halfway also times out', async (t) => {
    const server = await serve(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items":[');
    });
    await assert.rejects(server.client({ timeout_ms: 150, maxRetries: 0 }).invoices.list(), WebWalletTimeoutError);
  });

  test('a timed-out POST is retried with the same Idempotency-Key', async (t) => {
    const server = await serve(t, (_req, res, n) => {
      if (n > 1) json(res, 201, invoice);
    });
    await server.client({ timeout_ms: 150, maxRetries: 1 }).invoices.create({ amount: '1.00', currency: 'USD' });
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[0]?.headers['idempotency-key'], server.seen[1]?.headers['idempotency-key']);
  });
});

describe('errors', () => {
  test('carry the node error shape and the request id', async (t) => {
    const server = await serve(t, (_req, res) =>
      json(
        res,
        422,
        {
          error: {
            code: 'refund_exceeds_paid',
            message: 'A refund cannot exceed what was paid minus what was already refunded (details.refundable).',
            details: { refundable: '2.50' },
          },
        },
        { 'x-request-id': 'req-123' },
      ),
    );
    const error = await server
      .client()
      .refunds.create({ invoice_id: 'inv_1', amount: '10.00' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof WebWalletApiError);
    assert.equal(error.name, 'WebWalletApiError');
    assert.equal(error.code, 'refund_exceeds_paid');
    assert.equal(error.status, 422);
    assert.deepEqual(error.details, { refundable: '2.50' });
    assert.equal(error.requestId, 'req-123');
    assert.equal(error.retryAfterS, null);
    assert.match(error.message, /details\.refundable/);
  });

  test('map 401, 403, 404 and 429 to subclasses', async (t) => {
    const cases = [
      [401, 'api_key_invalid', WebWalletAuthenticationError],
      [403, 'sandbox_only', WebWalletPermissionError],
      [404, 'invoice_not_found', WebWalletNotFoundError],
      [429, 'rate_limited', WebWalletRateLimitError],
    ] as const;
    for (const [status, code, ErrorClass] of cases) {
      const server = await serve(t, (_req, res) => nodeError(res, status, code, { 'retry-after': '0' }));
      const error = await server
        .client({ maxRetries: 0 })
        .invoices.retrieve('inv_1')
        .catch((e: unknown) => e);
      assert.ok(error instanceof ErrorClass, `${status}: ${String(error)}`);
      assert.ok(error instanceof WebWalletApiError);
      assert.equal(error.name, ErrorClass.name);
      assert.equal(error.code, code);
      assert.deepEqual(error.details, { hint: 1 });
    }
  });

  test('a non-JSON error body still gives a clear error', async (t) => {
    const page = `<html><body><h1>502 Bad Gateway</h1>${'x'.repeat(500)}</body></html>`;
    const server = await serve(t, (_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html', 'x-request-id': 'edge-9' }).end(page),
    );
    const error = await server
      .client({ maxRetries: 0 })
      .invoices.retrieve('inv_1')
      .catch((e: unknown) => e);
    assert.ok(error instanceof WebWalletApiError);
    assert.equal(error.code, 'response_invalid');
    assert.equal(error.status, 502);
    assert.equal(error.requestId, 'edge-9');
    assert.match(error.message, /HTTP 502 .*not a WebWallet error \(content-type text\/html\).*502 Bad Gateway/);
    assert.match(error.message, /baseUrl/);
    assert.equal(error.details.content_type, 'text/html');
    assert.equal(String(error.details.body_excerpt).length, 201, 'an excerpt, not the whole page');
  });

  test('JSON that is not the error shape, and an empty error body, give response_invalid', async (t) => {
    const server = await serve(t, (_req, res, n) =>
      n === 1 ? json(res, 400, { message: 'nope' }) : res.writeHead(418).end(),
    );
    const ww = server.client();
    await assert.rejects(ww.balance.retrieve(), { code: 'response_invalid', status: 400 });
    await assert.rejects(ww.balance.retrieve(), { code: 'response_invalid', status: 418 });
  });

  test('a 2xx answer that is not JSON is an error, not garbage data', async (t) => {
    const server = await serve(t, (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'));
    await assert.rejects(server.client().balance.retrieve(), (error: unknown) => {
      assert.ok(error instanceof WebWalletApiError);
      assert.equal(error.code, 'response_invalid');
      assert.equal(error.status, 200);
      assert.match(error.message, /not JSON/);
      return true;
    });
    assert.equal(server.seen.length, 1, 'not retried');
  });
});

describe('pagination', () => {
  const pages: Record<string, { items: { id: string }[]; next_cursor: string | null }> = {
    '': { items: [{ id: 'inv_5' }, { id: 'inv_4' }], next_cursor: 'c2' },
    c2: { items: [{ id: 'inv_3' }, { id: 'inv_2' }], next_cursor: 'c3' },
    c3: { items: [{ id: 'inv_1' }], next_cursor: null },
  };
  const pager = (_req: Seen, res: ServerResponse) => {
    const cursor = new URL(_req.url, 'http://x').searchParams.get('cursor') ?? '';
    json(res, 200, pages[cursor] ?? { items: [], next_cursor: null });
  };

  test('listAll follows next_cursor and keeps the filters', async (t) => {
    const server = await serve(t, pager);
    const ids: string[] = [];
    for await (const inv of server.client().invoices.listAll({ status: 'Settled', limit: 2 })) ids.push(inv.id);
    assert.deepEqual(ids, ['inv_5', 'inv_4', 'inv_3', 'inv_2', 'inv_1']);
    assert.deepEqual(
      server.seen.map((s) => s.url),
      [
        '/v1/invoices?status=Settled&limit=2',
        '/v1/invoices?status=Settled&limit=2&cursor=c2',
        '/v1/invoices?status=Settled&limit=2&cursor=c3',
      ],
    );
  });

  test('listAll fetches only the pages the loop reaches', async (t) => {
    const server = await serve(t, pager);
    for await (const inv of server.client().invoices.listAll()) {
      assert.equal(inv.id, 'inv_5');
      break;
    }
    assert.equal(server.seen.length, 1);
  });

  test('listAll on refunds, payouts and events', async (t) => {
    const server = await serve(t, pager);
    const ww = server.client();
    for (const list of [ww.refunds.listAll(), ww.payouts.listAll(), ww.events.listAll({ type: 'invoice.settled' })]) {
      let count = 0;
      for await (const _ of list) count++;
      assert.equal(count, 5);
    }
    assert.match(server.seen[0]?.url ?? '', /^\/v1\/refunds/);
    assert.match(server.seen[3]?.url ?? '', /^\/v1\/payouts/);
    assert.match(server.seen[6]?.url ?? '', /^\/v1\/events\?type=invoice\.settled/);
  });

  test('a cursor the node already gave stops the loop with an error', async (t) => {
    const server = await serve(t, (_req, res) => json(res, 200, { items: [{ id: 'inv_1' }], next_cursor: 'same' }));
    const seenIds: string[] = [];
    await assert.rejects(async () => {
      for await (const inv of server.client().invoices.listAll()) seenIds.push(inv.id);
    }, /cursor same twice/);
    assert.deepEqual(seenIds, ['inv_1', 'inv_1']);
    assert.equal(server.seen.length, 2);
  });
});
