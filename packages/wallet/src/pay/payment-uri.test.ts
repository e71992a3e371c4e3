import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  formatPaymentUri,
  PAYMENT_MEMO_LENGTH_MAX,
  PAYMENT_URI_TEXT_LENGTH_MAX,
  type PaymentRequest,
  parsePaymentUri,
} from './payment-uri.js';

const PAYEE = `pub_${'A'.repeat(43)}`;
const NODE = 'http://127.0.0.1:8787';
const INVOICE = 'inv_06f3kq1c0000abcdefghijklmn';

/** A processor's URI exactly as the node writes it (packages/server/src/processor/invoices.ts). */
function processorUri(overrides: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    node: NODE,
    invoice: INVOICE,
    to: 'acc_store1234',
    amount: '12.50',
    currency: 'USD',
    memo: INVOICE,
    ...overrides,
  });
  return `web+webwallet:pay?${params.toString()}`;
}

function reasonOf(text: unknown): { field?: unknown; reason?: unknown } {
  const parsed = parsePaymentUri(text);
  assert.equal(parsed.ok, false, `expected ${String(text).slice(0, 120)} to be refused`);
  if (parsed.ok) return {};
  assert.equal(parsed.error.code, 'payment_uri_invalid');
  assert.equal(typeof parsed.error.details.reason, 'string');
  return parsed.error.details;
}

describe('parsePaymentUri', () => {
  test("reads the processor's invoice URI", () => {
    const parsed = parsePaymentUri(processorUri());
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      node: NODE,
      to: 'acc_store1234',
      amount: '12.50',
      currency: 'USD',
      memo: INVOICE,
      invoice: INVOICE,
    });
  });

  test('optional memo and invoice, unknown parameters ignored, scheme case and surrounding space tolerated', () => {
    const parsed = parsePaymentUri(
      `  WEB+WebWallet:pay?node=https%3A%2F%2Fnode.example%2Fww&to=${PAYEE}&amount=0.01&currency=EUR&label=Coffee&v=2#top \n`,
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, { node: 'https://node.example/ww', to: PAYEE, amount: '0.01', currency: 'EUR' });
  });

  test('a "+" in a value is a space (form encoding, as URLSearchParams writes it)', () => {
    const parsed = parsePaymentUri(
      `web+webwallet:pay?node=${NODE}&to=${PAYEE}&amount=1&currency=EUR&memo=two+words%2B`,
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value.memo, 'two words+');
  });

  test('the URI percent-encoded, and inside a protocol handler URL (registerProtocolHandler ?uri=%s)', () => {
    const uri = processorUri({ memo: 'inv_06f3kq1c0000abcdefghijklmn' });
    const expected = parsePaymentUri(uri);
    assert.ok(expected.ok);
    const encoded = encodeURIComponent(uri);
    assert.match(encoded, /^web%2Bwebwallet%3Apay%3F/);
    for (const form of [encoded, `?uri=${encoded}`, `https://wallet.example/wallet/pay?uri=${encoded}&x=1#frag`]) {
      const parsed = parsePaymentUri(form);
      assert.ok(parsed.ok, `${form}: ${JSON.stringify(parsed)}`);
      assert.deepEqual(parsed.value, expected.value);
    }
  });

  test('each reason a URI is refused', () => {
    const base = { node: NODE, to: PAYEE, amount: '1.00', currency: 'EUR' };
    const uri = (fields: Record<string, string>, extra = '') =>
      `web+webwallet:pay?${new URLSearchParams(fields).toString()}${extra}`;
    const without = (field: keyof typeof base) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== field));
    const cases: [unknown, string | undefined, RegExp][] = [
      [42, undefined, /text/],
      ['x'.repeat(PAYMENT_URI_TEXT_LENGTH_MAX + 1), undefined, /longer than/],
      [`web+webwallet:pay?memo=${'%F0%9F%92%B6'.repeat(700)}`, undefined, /longer than 8192/],
      ['bitcoin:1BoatSLRHtKNngkdXEeobR76b6xlg6DEEs?amount=1', undefined, /not a web\+webwallet/],
      ['web+webwallet:send?to=x', undefined, /"send" is not an action/],
      ['web%2Bwebwallet%3Apay%3F%E0%A4%A', undefined, /percent-encoding/],
      ['https://wallet.example/pay?x=1', 'uri', /"uri" parameter/],
      [`https://wallet.example/pay?uri=a&uri=${encodeURIComponent(uri(base))}`, 'uri', /repeated/],
      [uri(without('node')), 'node', /missing/],
      [uri(without('to')), 'to', /missing/],
      [uri(without('amount')), 'amount', /missing/],
      [uri(without('currency')), 'currency', /missing/],
      [uri(base, '&amount=2.00'), 'amount', /repeated/],
      [uri({ ...base, node: 'node.example' }), 'node', /absolute URL/],
      [uri({ ...base, node: 'ftp://node.example' }), 'node', /http\(s\)/],
      [uri({ ...base, node: 'https://user:pw@node.example' }), 'node', /credentials/],
      [uri({ ...base, node: 'https://node.example/?a=1' }), 'node', /no query/],
      [uri({ ...base, node: `https://node.example/${'a'.repeat(1024)}` }), 'node', /longer than/],
      [uri({ ...base, to: 'bob' }), 'to', /account id/],
      [uri({ ...base, amount: '-1.00' }), 'amount', /positive decimal/],
      [uri({ ...base, amount: '0.00' }), 'amount', /positive decimal/],
      [uri({ ...base, amount: '1e3' }), 'amount', /positive decimal/],
      [uri({ ...base, amount: '01.5' }), 'amount', /positive decimal/],
      [uri({ ...base, currency: 'eur' }), 'currency', /currency code/],
      [uri({ ...base, memo: 'x'.repeat(PAYMENT_MEMO_LENGTH_MAX + 1) }), 'memo', /longer than 256/],
      [uri({ ...base, invoice: 'order-42' }), 'invoice', /invoice id/],
      [uri({ ...base, invoice: INVOICE, memo: 'inv_other' }), 'memo', /differs from "invoice"/],
    ];
    for (const [text, field, reason] of cases) {
      const details = reasonOf(text);
      assert.equal(details.field, field, `${String(text).slice(0, 100)}: ${JSON.stringify(details)}`);
      assert.match(String(details.reason), reason, String(text).slice(0, 100));
    }
  });

  test('a memo of 256 characters outside the BMP is within the limit (code points, as the ledger counts)', () => {
    const memo = '💶'.repeat(PAYMENT_MEMO_LENGTH_MAX);
    const text = formatPaymentUri({ node: NODE, to: PAYEE, amount: '1', currency: 'EUR', memo });
    const parsed = parsePaymentUri(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.memo, memo);
  });
});

describe('formatPaymentUri', () => {
  test('writes the fields in the processor order', () => {
    const text = formatPaymentUri({
      node: NODE,
      to: 'acc_store1234',
      amount: '12.50',
      currency: 'USD',
      memo: INVOICE,
      invoice: INVOICE,
    });
    assert.equal(text, processorUri());
  });

  test('refuses to write an invalid request or text that would not survive encoding', () => {
    assert.throws(() => formatPaymentUri({ node: NODE, to: PAYEE, amount: '0', currency: 'EUR' }), TypeError);
    assert.throws(
      () => formatPaymentUri({ node: NODE, to: PAYEE, amount: '1', currency: 'EUR', memo: 'lone \uD800' }),
      TypeError,
    );
  });

  const request: fc.Arbitrary<PaymentRequest> = fc
    .record({
      node: fc
        .webUrl({ validSchemes: ['http', 'https'], withQueryParameters: false, withFragments: false })
        .filter((url) => url.length <= 1024),
      to: fc.oneof(fc.stringMatching(/^pub_[A-Za-z0-9_-]{43}$/), fc.stringMatching(/^acc_[A-Za-z0-9_-]{4,40}$/)),
      amount: fc.stringMatching(/^(0|[1-9][0-9]{0,29})(\.[0-9]{1,18})?$/).filter((a) => /[1-9]/.test(a)),
      currency: fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,11}$/),
      invoice: fc.option(fc.stringMatching(/^inv_[A-Za-z0-9_-]{1,64}$/), { nil: undefined }),
      memo: fc.option(fc.string({ unit: 'binary', maxLength: PAYMENT_MEMO_LENGTH_MAX }), { nil: undefined }),
      memoIsInvoice: fc.boolean(),
    })
    .map(({ invoice, memo, memoIsInvoice, ...rest }) => {
      const text = invoice !== undefined && (memoIsInvoice || memo !== undefined) ? invoice : memo;
      return { ...rest, ...(invoice === undefined ? {} : { invoice }), ...(text === undefined ? {} : { memo: text }) };
    });

  test('round trip: parse(format(request)) is the request, and format is stable', () => {
    fc.assert(
      fc.property(request, (r) => {
        const text = formatPaymentUri(r);
        const parsed = parsePaymentUri(text);
        assert.ok(parsed.ok, `${text}: ${JSON.stringify(parsed)}`);
        assert.deepEqual(parsed.value, r);
        assert.equal(formatPaymentUri(parsed.value), text);
        const wrapped = parsePaymentUri(`https://wallet.example/pay?uri=${encodeURIComponent(text)}`);
        assert.ok(wrapped.ok);
        assert.deepEqual(wrapped.value, r);
      }),
      { numRuns: 300 },
    );
  });
});
