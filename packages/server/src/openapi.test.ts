import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { launchChromium, requireChromium } from '@webwallet/testkit';
import { startTestNode } from './test-helpers.js';

type TestNode = Awaited<ReturnType<typeof startTestNode>>;

describe('OpenAPI document and /docs', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(async () => {
    await node.stop();
  });

  test('GET /openapi.json is a valid OpenAPI 3.1 document', async () => {
    const response = await fetch(`${node.url}/openapi.json`);
    assert.equal(response.status, 200);
    const spec = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(spec.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(spec);
    assert.equal(validator.version, '3.1');
    assert.deepEqual(result.errors ?? [], [], JSON.stringify(result.errors, null, 2));
    assert.equal(result.valid, true);
    assert.deepEqual(Object.keys(spec.paths).sort(), [
      '/.well-known/webwallet',
      '/healthz',
      '/v1/accounts/{id}',
      '/v1/accounts/{id}/transactions',
      '/v1/balance',
      '/v1/blocks/latest',
      '/v1/blocks/{height}',
      '/v1/checkout/{id}',
      '/v1/checkout/{id}/events',
      '/v1/checkout/{id}/pay',
      '/v1/checkout/{id}/sandbox-pay',
      '/v1/currencies',
      '/v1/documents/verify',
      '/v1/events',
      '/v1/events/{id}',
      '/v1/invoices',
      '/v1/invoices/{id}',
      '/v1/invoices/{id}/mark',
      '/v1/keys',
      '/v1/keys/{id}',
      '/v1/merchants',
      '/v1/payment-links',
      '/v1/payment-links/{id}',
      '/v1/payouts',
      '/v1/payouts/{id}',
      '/v1/proofs/consistency',
      '/v1/proofs/inclusion',
      '/v1/refunds',
      '/v1/refunds/{id}',
      '/v1/relay/mailboxes',
      '/v1/relay/mailboxes/{id}',
      '/v1/relay/mailboxes/{id}/devices',
      '/v1/relay/mailboxes/{id}/devices/{device_key}',
      '/v1/relay/mailboxes/{id}/messages',
      '/v1/relay/pairings',
      '/v1/relay/pairings/{id}',
      '/v1/reports/invoices.csv',
      '/v1/reports/payments.csv',
      '/v1/sandbox/clock/advance',
      '/v1/sandbox/faucet',
      '/v1/sandbox/invoices/{id}/expire',
      '/v1/sandbox/invoices/{id}/pay',
      '/v1/sandbox/payers',
      '/v1/store',
      '/v1/transactions',
      '/v1/transactions/{id}',
      '/v1/webhooks',
      '/v1/webhooks/{id}',
      '/v1/webhooks/{id}/deliveries',
      '/v1/webhooks/{id}/deliveries/{delivery}/redeliver',
      '/v1/webhooks/{id}/rotate-secret',
    ]);
  });

  test('the document describes the validating schemas and the error shape', async () => {
    const spec = (await (await fetch(`${node.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: boolean }> };
    };
    const verify = spec.paths['/v1/documents/verify']!.post!;
    assert.ok(verify.requestBody);
    for (const status of ['400', '413', '415', '422', '500']) {
      assert.match(JSON.stringify(verify.responses[status]), /ErrorResponse/, status);
    }
    const signed = spec.components.schemas.SignedDocument!;
    assert.equal(signed.additionalProperties, false);
    assert.deepEqual(Object.keys(signed.properties ?? {}).sort(), ['body', 'signatures', 'type', 'version']);
    assert.ok(spec.components.schemas.ErrorResponse);
  });

  test('GET /docs renders the API reference in Chromium with no third-party requests', {
    timeout: 120_000,
  }, async (t) => {
    const chromium = requireChromium(t);
    if (!chromium) return;
    const browser = await launchChromium(chromium);
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const failures: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') failures.push(m.text());
      });
      await page.goto(`${node.url}/docs`);
      await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
      const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.trim()));
      assert.ok(
        paths.some((p) => p?.includes('/v1/documents/verify')),
        JSON.stringify(paths),
      );
      const foreign = requests.filter((url) => !url.startsWith(node.url) && !url.startsWith('data:'));
      assert.deepEqual(foreign, []);
      assert.deepEqual(failures, []);
    } finally {
      await browser.close();
    }
  });
});
