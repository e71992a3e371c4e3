import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebWalletMerchant } from './client.js';
import { WebWalletApiError } from './errors.js';

// Isomorphic: in headless Chromium (isomorphic.node.test.ts) this calls the page's own origin with
// the browser's global fetch, WebCrypto UUIDs and URL, the same globals edge runtimes offer. The
// test page's server answers 404 with an empty body. Under Node, client.node.test.ts covers it.

const origin = (globalThis as { location?: { origin?: string } }).location?.origin;

describe('the client on web-standard globals', () => {
  test('sends a POST with the global fetch and reports a non-JSON answer', async (t) => {
    if (origin === undefined) {
      t.skip('needs a page origin; runs in the browser');
      return;
    }
    const ww = new WebWalletMerchant({ apiKey: 'ww_test_abc', baseUrl: origin, maxRetries: 0 });
    assert.equal(ww.mode, 'test');
    await assert.rejects(ww.invoices.create({ amount: '1.00', currency: 'USD' }), (error: unknown) => {
      assert.ok(error instanceof WebWalletApiError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'response_invalid');
      return true;
    });
  });
});
