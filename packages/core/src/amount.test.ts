import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  AMOUNT_MINOR_MAX,
  addMinor,
  addMoney,
  compareMinor,
  formatAmount,
  money,
  parseAmount,
  SCALE_MAX,
  subtractMinor,
} from './amount.js';
import { WebWalletError } from './errors.js';

function code(result: { ok: boolean; error?: WebWalletError }): string | undefined {
  return result.ok ? undefined : result.error?.code;
}

describe('amounts', () => {
  test('parses and formats exact decimals', () => {
    assert.deepEqual(parseAmount('12.34', 2), { ok: true, value: 1234n });
    assert.deepEqual(parseAmount('12.3', 2), { ok: true, value: 1230n });
    assert.deepEqual(parseAmount('12', 2), { ok: true, value: 1200n });
    assert.deepEqual(parseAmount('0', 0), { ok: true, value: 0n });
    assert.deepEqual(parseAmount('0.000000000000000001', 18), { ok: true, value: 1n });
    assert.deepEqual(parseAmount('-5.5', 1, { allowNegative: true }), { ok: true, value: -55n });
    assert.equal(formatAmount(1234n, 2), '12.34');
    assert.equal(formatAmount(5n, 2), '0.05');
    assert.equal(formatAmount(-5n, 2), '-0.05');
    assert.equal(formatAmount(7n, 0), '7');
    assert.equal(formatAmount(AMOUNT_MINOR_MAX, 0), '9223372036854775807');
  });

  test('rejects floats, NaN, exponents and malformed text', () => {
    for (const bad of [12.34, Number.NaN, 1n, null, undefined, {}]) {
      assert.equal(code(parseAmount(bad, 2)), 'amount_invalid', String(bad));
    }
    for (const bad of [
      '',
      ' 1',
      '1 ',
      '1e3',
      '1E3',
      '0x10',
      '01',
      '1.',
      '.5',
      '+1',
      '--1',
      '1,5',
      'NaN',
      'Infinity',
      '-0',
      '١',
    ]) {
      assert.equal(code(parseAmount(bad, 2, { allowNegative: true })), 'amount_invalid', bad);
    }
    assert.equal(code(parseAmount('1'.repeat(100), 0)), 'amount_invalid');
  });

  test('rejects more decimals than the scale, negatives where not allowed, and values beyond the maximum', () => {
    assert.equal(code(parseAmount('12.345', 2)), 'amount_too_precise');
    assert.equal(code(parseAmount('12.340', 2)), 'amount_too_precise');
    assert.equal(code(parseAmount('1.5', 0)), 'amount_too_precise');
    assert.equal(code(parseAmount('-1', 2)), 'amount_out_of_range');
    assert.equal(code(parseAmount('9223372036854775807', 0)), undefined);
    assert.equal(code(parseAmount('9223372036854775808', 0)), 'amount_out_of_range');
    assert.equal(code(parseAmount('92233720368547758.08', 2)), 'amount_out_of_range');
    assert.equal(code(parseAmount('-9223372036854775808', 0, { allowNegative: true })), 'amount_out_of_range');
  });

  test('a bad scale is a programming error and throws', () => {
    assert.throws(() => parseAmount('1', 19), RangeError);
    assert.throws(() => parseAmount('1', -1), RangeError);
    assert.throws(() => formatAmount(1n, 1.5), RangeError);
  });

  test('arithmetic reports overflow with a stable code', () => {
    assert.equal(addMinor(2n, 3n), 5n);
    assert.equal(subtractMinor(2n, 3n), -1n);
    assert.throws(
      () => addMinor(AMOUNT_MINOR_MAX, 1n),
      (e: unknown) => e instanceof WebWalletError && e.code === 'amount_overflow',
    );
    assert.throws(
      () => subtractMinor(-AMOUNT_MINOR_MAX, 1n),
      (e: unknown) => e instanceof WebWalletError && e.code === 'amount_overflow',
    );
    assert.throws(
      () => addMoney(money('USD', 2, 1n), money('EUR', 2, 1n)),
      (e: unknown) => e instanceof WebWalletError && e.code === 'currency_mismatch',
    );
    assert.deepEqual(addMoney(money('USD', 2, 1n), money('USD', 2, 2n)), money('USD', 2, 3n));
  });

  const minor = fc.bigInt({ min: -AMOUNT_MINOR_MAX, max: AMOUNT_MINOR_MAX });
  const scale = fc.integer({ min: 0, max: SCALE_MAX });

  test('property: parse(format(x)) == x for every amount and scale', () => {
    fc.assert(
      fc.property(minor, scale, (x, s) => {
        const parsed = parseAmount(formatAmount(x, s), s, { allowNegative: true });
        assert.deepEqual(parsed, { ok: true, value: x });
      }),
      { numRuns: 2000 },
    );
  });

  test('property: format(parse(t)) is t padded to the scale', () => {
    const text = fc
      .tuple(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 3 }),
      )
      .map(([whole, frac]) => (frac ? `${whole}.${frac}` : `${whole}`));
    fc.assert(
      fc.property(text, (t) => {
        const parsed = parseAmount(t, 3);
        assert.ok(parsed.ok);
        const [whole, frac = ''] = t.split('.');
        assert.equal(formatAmount(parsed.value, 3), `${whole}.${frac.padEnd(3, '0')}`);
      }),
    );
  });

  test('property: addition is commutative and associative, subtraction undoes it, compare agrees', () => {
    const small = fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n });
    fc.assert(
      fc.property(small, small, small, (a, b, c) => {
        assert.equal(addMinor(a, b), addMinor(b, a));
        assert.equal(addMinor(addMinor(a, b), c), addMinor(a, addMinor(b, c)));
        assert.equal(subtractMinor(addMinor(a, b), b), a);
        assert.equal(compareMinor(a, b) + compareMinor(b, a), 0);
        assert.equal(compareMinor(addMinor(a, 1n), a), 1);
      }),
      { numRuns: 1000 },
    );
  });

  test('property: arithmetic throws exactly when the exact result leaves the range', () => {
    fc.assert(
      fc.property(minor, minor, (a, b) => {
        const exact = a + b;
        const fits = exact <= AMOUNT_MINOR_MAX && exact >= -AMOUNT_MINOR_MAX;
        if (fits) assert.equal(addMinor(a, b), exact);
        else assert.throws(() => addMinor(a, b), WebWalletError);
      }),
      { numRuns: 1000 },
    );
  });
});
