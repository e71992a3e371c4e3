import type { WebWalletError } from '@webwallet/core';
import type { PaymentLinkView } from './source.js';

/** Longest amount a customer may type; longer text is not an amount anyone means. */
export const AMOUNT_INPUT_LENGTH_MAX = 40;

const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * A typed amount as the node's decimal string, or undefined. Forgives what people type: spaces
 * around it, "12,50" from a decimal-comma locale, ".5" and leading zeros.
 *
 * @example normalizeAmountInput(' 012,5 ') // "12.5"
 */
export function normalizeAmountInput(raw: string): string | undefined {
  let text = raw.trim();
  if (text.length === 0 || text.length > AMOUNT_INPUT_LENGTH_MAX) return undefined;
  if (/^[0-9]*,[0-9]+$/.test(text)) text = text.replace(',', '.');
  if (text.startsWith('.')) text = `0${text}`;
  text = text.replace(/^0+(?=[0-9])/, '');
  return DECIMAL.test(text) ? text : undefined;
}

/** Compares two decimal strings exactly (no floats). */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const [aWhole = '0', aFraction = ''] = a.split('.');
  const [bWhole = '0', bFraction = ''] = b.split('.');
  const scale = Math.max(aFraction.length, bFraction.length);
  const x = BigInt(aWhole + aFraction.padEnd(scale, '0'));
  const y = BigInt(bWhole + bFraction.padEnd(scale, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Checks a customer-entered amount against the link's bounds. Returns the amount to send, or a
 * message for the form. The invoice domain checks again (currency scale, limits).
 */
export function checkLinkAmount(
  link: PaymentLinkView,
  raw: string | undefined,
): { ok: true; amount: string } | { ok: false; message: string } {
  if (raw === undefined || raw.trim() === '') return { ok: false, message: 'Enter an amount.' };
  const amount = normalizeAmountInput(raw);
  if (amount === undefined) return { ok: false, message: 'Enter the amount as a number, such as 12.50.' };
  if (compareDecimal(amount, '0') <= 0) return { ok: false, message: 'Enter an amount greater than 0.' };
  const min = link.amount_min === null ? undefined : normalizeAmountInput(link.amount_min);
  const max = link.amount_max === null ? undefined : normalizeAmountInput(link.amount_max);
  if (min !== undefined && compareDecimal(amount, min) < 0) {
    return { ok: false, message: `Enter at least ${link.amount_min} ${link.currency}.` };
  }
  if (max !== undefined && compareDecimal(amount, max) > 0) {
    return { ok: false, message: `Enter at most ${link.amount_max} ${link.currency}.` };
  }
  return { ok: true, amount };
}

/** A form message for an amount the invoice domain rejected, or undefined if the error is not about the amount. */
export function amountErrorMessage(error: WebWalletError, currency: string): string | undefined {
  switch (error.code) {
    case 'amount_too_precise': {
      const scale = error.details.scale;
      return typeof scale === 'number'
        ? `${currency} amounts have at most ${scale} decimal places.`
        : `Use fewer decimal places for ${currency}.`;
    }
    case 'amount_invalid':
    case 'amount_out_of_range':
    case 'amount_not_positive':
    case 'invalid_request':
      return `This amount cannot be paid in ${currency}. Enter another one.`;
    default:
      return undefined;
  }
}
