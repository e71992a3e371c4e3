import {
  CURRENCY_CODE,
  createDocument,
  ok,
  type Result,
  randomBytes,
  toBase64Url,
  type WebWalletError,
} from '@webwallet/core';
import type { Account, NodeClient } from '@webwallet/wallet';
import { field, form, h, messageArea } from './dom.js';
import { openAccount, type Session } from './session.js';
import { describeError, nodeAnswered, withDetails } from './ui.js';

/**
 * Accepting a currency. The ledger lets an account hold a currency only up to a limit the
 * account itself signs (a trust line, `ledger.trust.set`), so a new account can receive nothing
 * until it accepts a currency. The form on each account's card signs that on this device with
 * the account's key and submits it; the ledger answers at once (no such currency, say), and the
 * card's balances are drawn again, now with the currency.
 */

/** The limit offered: enough for everyday amounts, and valid at any currency scale (no decimals). */
export const TRUST_LIMIT_DEFAULT = '1000';
/** A limit as the ledger takes it (AmountText in packages/ledger/src/model/schemas.ts). */
const LIMIT = /^(0|[1-9][0-9]{0,29})(\.[0-9]{1,18})?$/;

/**
 * The "Accept a currency" part of an account's card; `accepted` redraws the balances. None for an
 * account whose key is not on this device (it could not sign).
 */
export function acceptCurrencySection(
  session: Session,
  node: NodeClient,
  account: Account,
  accepted: () => void,
): HTMLElement | null {
  if (account.index === undefined) return null;
  const id = `accept-${account.index}`;
  const currency = h('input', {
    type: 'text',
    id: `${id}-currency`,
    class: 'accept-code',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    maxlength: 12,
    placeholder: 'EUR',
  });
  const limit = h('input', { type: 'text', id: `${id}-limit`, inputmode: 'decimal', value: TRUST_LIMIT_DEFAULT });
  const message = messageArea(`${id}-message`);
  const submit = h('button', { type: 'submit', class: 'primary accept-submit' }, 'Accept');
  const run = async () => {
    const code = currency.value.trim().toUpperCase();
    const most = limit.value.trim();
    const problem = inputProblem(code, most);
    if (problem !== undefined) return message.say(problem, 'error');
    submit.disabled = true;
    message.say(`Asking the ledger to accept ${code}…`);
    const answer = await acceptCurrency(session, node, account, code, most);
    submit.disabled = false;
    if (!answer.ok) return message.say(refusal(answer.error, code), 'error');
    message.say(`Done: this account accepts up to ${most} ${code}. Whoever pays you in ${code} can send it now.`);
    accepted();
  };
  return h(
    'details',
    { class: 'accept-currency', id },
    h('summary', {}, 'Accept a currency'),
    h(
      'p',
      { class: 'muted' },
      'An account receives a currency only once it accepts it, up to a limit you choose. Your key signs this on this device.',
    ),
    form(
      { class: 'accept-form' },
      () => void run(),
      ...field('Currency code', currency, 'As its issuer writes it, e.g. EUR.'),
      ...field('Up to', limit, 'The most of it this account will hold. Accept it again to change the limit.'),
      message.element,
      h('div', { class: 'buttons' }, submit),
    ),
  );
}

/** What is wrong with the form, said before anything is signed. */
function inputProblem(code: string, limit: string): string | undefined {
  if (code === '') return 'Write the code of the currency to accept, e.g. EUR.';
  if (!CURRENCY_CODE.test(code)) {
    return `“${code}” is not a currency code: a code is 1 to 12 letters, digits or "-", e.g. EUR.`;
  }
  if (!LIMIT.test(limit)) return 'Write the limit as a number, e.g. 1000 or 250.50.';
  return undefined;
}

function refusal(error: WebWalletError, code: string): string {
  if (error.code !== 'currency_not_found') return describeError(error);
  return withDetails(
    `This ledger has no currency ${code}. Check its code with whoever issues it or pays you in it.`,
    error,
  );
}

/** Signs the trust line and submits it; opens the account first if the ledger does not have it yet. */
async function acceptCurrency(
  session: Session,
  node: NodeClient,
  account: Account,
  currency: string,
  limit: string,
): Promise<Result<void>> {
  const first = await submitTrust(session, node, account, currency, limit);
  if (first.ok || first.error.code !== 'account_not_found') return first;
  // Made while the node could not take it (home opens it too, on its next visit): open it now.
  const opened = await openAccount(node, await session.keyPair(account));
  return opened.ok ? submitTrust(session, node, account, currency, limit) : opened;
}

async function submitTrust(
  session: Session,
  node: NodeClient,
  account: Account,
  currency: string,
  limit: string,
): Promise<Result<void>> {
  const body = {
    id: toBase64Url(randomBytes(16)),
    created_at: new Date().toISOString(),
    holder: account.id,
    currency,
    limit,
  };
  const document = await createDocument('ledger.trust.set', 1, body, [await session.keyPair(account)]);
  const submitted = await node.submit([document]);
  nodeAnswered(submitted.ok || submitted.error.code !== 'node_unreachable');
  if (!submitted.ok) return submitted;
  const [result] = submitted.value;
  return result?.status === 'rejected' ? { ok: false, error: result.error } : ok(undefined);
}
