import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CANONICAL_DEPTH_MAX, canonicalBytes, canonicalize, tryCanonicalize } from './canonical-json.js';
import { toHex } from './encoding.js';
import { WebWalletError } from './errors.js';
import { rfc8785Jcs as vectors } from './vectors/rfc8785-jcs.js';

function numberFromIeee754Hex(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

const isCanonicalError = (e: unknown) => e instanceof WebWalletError && e.code === 'canonical_json_invalid';

describe('canonical JSON (RFC 8785)', () => {
  test('section 3.2.2 example: canonical text and UTF-8 bytes (section 3.2.4)', () => {
    const example = vectors.rfc_3_2_2_example;
    const value = JSON.parse(example.input);
    assert.equal(canonicalize(value), example.canonical_output);
    assert.equal(toHex(canonicalBytes(value)), example.canonical_output_utf8_hex);
  });

  test('section 3.2.3 sorting example: keys sort by UTF-16 code units', () => {
    const example = vectors.rfc_3_2_3_sorting_example;
    // Read the order off the text: JSON.parse would move the integer-like key "1" first.
    const text = canonicalize(JSON.parse(example.input));
    const positions = example.expected_value_order.map((value) => text.indexOf(`"${value}"`));
    assert.ok(positions.every((p) => p > 0));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
  });

  test('Appendix B: number serialization samples', () => {
    for (const row of vectors.appendix_b_numbers.vectors) {
      const n = numberFromIeee754Hex(row.ieee754_hex);
      if (row.error) assert.throws(() => canonicalize(n), isCanonicalError, row.ieee754_hex);
      else assert.equal(canonicalize(n), row.expected, row.ieee754_hex);
    }
  });

  test('reference test data pairs canonicalize exactly', () => {
    assert.ok(vectors.cyberphone_testdata.pairs.length >= 5);
    for (const pair of vectors.cyberphone_testdata.pairs) {
      assert.equal(canonicalize(JSON.parse(pair.input)), pair.output, pair.name);
    }
  });

  test('bigints travel as decimal strings', () => {
    assert.equal(
      canonicalize({ amount: 123456789012345678901234567890n }),
      '{"amount":"123456789012345678901234567890"}',
    );
    assert.equal(canonicalize([-5n]), '["-5"]');
  });

  test('rejects values JSON cannot carry exactly', () => {
    const bad: unknown[] = [
      undefined,
      { a: undefined },
      () => 1,
      Symbol('x'),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '\ud800',
      { '\udc00': 1 },
      new Date(0),
      new Map(),
      new Uint8Array(1),
    ];
    for (const value of bad) assert.throws(() => canonicalize(value), isCanonicalError);
    const result = tryCanonicalize({ nested: [1, { x: Number.NaN }] });
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.error.details.path, '$.nested[1].x');
    assert.equal(canonicalize('\ud83d\ude00'), '"😀"');
  });

  test('limits nesting depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i <= CANONICAL_DEPTH_MAX; i++) deep = [deep];
    assert.throws(() => canonicalize(deep), isCanonicalError);
  });

  test('property: canonical form is a fixed point and ignores key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value);
        assert.equal(canonicalize(JSON.parse(once)), once);
        assert.deepEqual(JSON.parse(once), JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        assert.equal(canonicalize(reversed), canonicalize(record));
      }),
    );
  });
});
