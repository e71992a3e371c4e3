import type { WebWalletError } from '@webwallet/core';
import {
  type Account,
  NodeClient,
  PAYMENT_URI_TEXT_LENGTH_MAX,
  type PaymentRequest,
  parsePaymentUri,
  pay,
  type Review,
  reviewPayment,
  type StoredReceipt,
} from '@webwallet/wallet';
import { type Merchant, merchantOf, offersSection } from './checkout-offers.js';
import { button, facts, field, form, formatTime, h, messageArea, shortId } from './dom.js';
import type { Nav } from './nav.js';
import type { Session } from './session.js';
import { describeError, nodeAnswered, show } from './ui.js';

/**
 * Paying: a payment URI (pasted, or opened as /wallet/#pay=… or through the protocol handler)
 * -> review (who, how much, from which account, the balance, all read from the node) -> Pay signs
 * on this device, submits, waits for the signed block and verifies the receipt before saying
 * "Paid". The review lets the person pick the paying account when the wallet has several, and
 * lists the coupons and vouchers the shop accepts (checkout-offers.ts: information only).
 */

/** Codes after which the payment may have gone through without the node saying so. */
const MAYBE_PAID = new Set(['node_unreachable', 'payment_not_sealed']);

export function showPayEntry(nav: Nav, text = '', problem?: string): void {
  const input = h('textarea', {
    id: 'payment-uri',
    rows: 4,
    maxlength: PAYMENT_URI_TEXT_LENGTH_MAX,
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
  });
  input.value = text;
  const message = messageArea('pay-entry-message');
  if (problem) message.say(problem, 'error');
  show(
    'pay',
    'Pay',
    form(
      { id: 'pay-form' },
      () => nav.pay(input.value),
      ...field('Payment link', input, 'Paste the web+webwallet: link from a checkout page or an invoice.'),
      message.element,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', id: 'review-button', class: 'primary' }, 'Review'),
        button('Cancel', () => nav.home(), { id: 'cancel-entry' }),
      ),
    ),
  );
}

/** The node a URL names, for comparing a payment's node with the wallet's. */
function nodeOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** The accounts that can pay: those whose key this wallet holds. */
function payingAccounts(session: Session): Account[] {
  return session.accounts().filter((a) => a.index !== undefined && a.id.startsWith('pub_'));
}

export interface ReviewChoice {
  /** The paying account's id; default the wallet's first account that can pay. */
  readonly from?: string;
  /** The shop's origin when the wallet knows it (a Payment Request's top origin), for offers. */
  readonly merchant_origin?: string;
}

/** Parses a payment URI, checks it is for this wallet's node, and asks the node for the review. */
export async function startReview(nav: Nav, session: Session, text: string, choice: ReviewChoice = {}): Promise<void> {
  const request = parsePaymentUri(text);
  if (!request.ok) return showPayEntry(nav, text, describeError(request.error));
  const accounts = payingAccounts(session);
  const account = accounts.find((a) => a.id === choice.from) ?? accounts[0];
  if (!account) return showPayEntry(nav, text, 'This wallet has no account that can pay.');
  if (nodeOf(request.value.node) !== nodeOf(session.nodeUrl)) {
    const message = `This payment is on the node ${request.value.node}, but this wallet's accounts are on ${session.nodeUrl}. A payment can only be made on the node that holds the payer's account.`;
    return showPayEntry(nav, text, message);
  }
  show('review', 'Review the payment', h('p', { role: 'status' }, 'Asking the node for your balance…'));
  const node = new NodeClient({ url: session.nodeUrl });
  const [review, merchant] = await Promise.all([
    reviewPayment(request.value, { from: account.id, node, trusted_node_keys: [session.nodeKey] }),
    merchantOf(session, request.value, choice.merchant_origin),
  ]);
  nodeAnswered(review.ok || review.error.code !== 'node_unreachable');
  if (!review.ok) return showPayEntry(nav, text, describeError(review.error));
  showReview(nav, session, { text, choice, request: request.value, review: review.value, account, node, merchant });
}

interface Pending {
  readonly text: string;
  readonly choice: ReviewChoice;
  readonly request: PaymentRequest;
  readonly review: Review;
  readonly account: Account;
  readonly node: NodeClient;
  readonly merchant: Merchant | undefined;
}

function accountName(account: Account): string {
  return `${account.label ?? 'Account'} (${shortId(account.id)})`;
}

/** "From": the paying account, or a choice of accounts when the wallet has several that can pay. */
function fromField(nav: Nav, session: Session, pending: Pending): HTMLElement | string {
  const accounts = payingAccounts(session);
  if (accounts.length < 2) return accountName(pending.account);
  const select = h('select', { id: 'review-account', 'aria-label': 'Pay from' });
  for (const account of accounts) {
    const option = h('option', { value: account.id }, accountName(account));
    option.selected = account.id === pending.account.id;
    select.append(option);
  }
  // Another account has another balance: review again with it.
  select.addEventListener(
    'change',
    () => void startReview(nav, session, pending.text, { ...pending.choice, from: select.value }),
  );
  return select;
}

/** How many of the newest receipts the review searches for an earlier payment of the same thing. */
const PAID_BEFORE_SEARCH_MAX = 1_000;

/**
 * An earlier payment to the same payee for the same memo or invoice, if this wallet holds its
 * receipt: opening the same link twice would otherwise pay twice without a word.
 */
function paidBefore(session: Session, request: PaymentRequest): StoredReceipt | undefined {
  const memo = request.memo ?? request.invoice;
  if (memo === undefined) return undefined;
  return session.document.receipts({ limit: PAID_BEFORE_SEARCH_MAX }).find((stored) => {
    const body = stored.receipt.document.body as { legs?: { to?: string }[]; memo?: string };
    return body.memo === memo && body.legs?.some((leg) => leg.to === request.to) === true;
  });
}

function paidBeforeNote(session: Session, request: PaymentRequest): HTMLElement | null {
  const earlier = paidBefore(session, request);
  if (!earlier) return null;
  const leg = (earlier.receipt.document.body as { legs?: { amount?: string; currency?: string }[] }).legs?.[0];
  const what = leg ? `${leg.amount} ${leg.currency}` : 'a payment';
  return h(
    'p',
    { class: 'warning', id: 'review-paid-before' },
    `You already paid ${what} to this payee for “${request.memo ?? request.invoice}” on ${formatTime(earlier.receipt.block.body.timestamp)}. Paying again pays twice.`,
  );
}

/** Payments between Pay and their outcome, in this window. */
let inFlight = 0;

/** Whether a payment has been sent (or is being signed) and has no outcome yet. */
export function paymentInFlight(): boolean {
  return inFlight > 0;
}

function showReview(nav: Nav, session: Session, pending: Pending): void {
  const { review, account } = pending;
  const price = `${review.amount} ${review.currency}`;
  const message = messageArea('pay-message');
  const payButton = button(`Pay ${price}`, () => void submit(), { id: 'pay-button', class: 'primary' });
  const cancel = button('Cancel', () => nav.home(), { id: 'cancel-pay' });
  /** Pay and Cancel (and the account choice) are off from Pay until the outcome is known. */
  const busy = (on: boolean) => {
    payButton.disabled = on;
    cancel.disabled = on;
    const select = document.getElementById('review-account') as HTMLSelectElement | null;
    if (select) select.disabled = on;
  };
  const submit = async () => {
    busy(true);
    inFlight++;
    message.say('Signing on this device and sending to the node…');
    try {
      // The keys stay in memory until the receipt is stored, even if the wallet locks meanwhile.
      await session.hold(() => payAndStore());
    } catch (error) {
      cancel.disabled = false;
      message.say(
        `Something failed on this device: ${(error as Error).message}. Check your balance and receipts before paying again.`,
        'error',
      );
    } finally {
      inFlight--;
    }
  };
  const payAndStore = async () => {
    const paid = await pay(pending.request, await session.keyPair(account), {
      node: pending.node,
      trusted_node_keys: [review.node.public_key],
    });
    nodeAnswered(paid.ok || paid.error.code !== 'node_unreachable');
    if (!paid.ok) return failed(paid.error);
    const stored = await session.storeReceipt(paid.value.receipt).catch((error: Error) => error);
    if (stored instanceof Error || !stored.ok) {
      cancel.disabled = false;
      const why = stored instanceof Error ? stored.message : describeError(stored.error);
      const id = paid.value.transaction_id;
      return message.say(`Paid (transaction ${id}), but this device could not keep the receipt: ${why}`, 'error');
    }
    nav.receipt(stored.value.key, true);
  };
  /**
   * After a failure, Pay comes back only when nothing reached the ledger: no document was sent,
   * or the node says it has no such transaction (it refused it). When the node cannot say, the
   * payment may have gone through, and paying again could pay twice.
   */
  const failed = async (error: WebWalletError) => {
    const id = typeof error.details.transaction_id === 'string' ? error.details.transaction_id : undefined;
    const lookup = id === undefined || MAYBE_PAID.has(error.code) ? undefined : await pending.node.transaction(id);
    cancel.disabled = false;
    if (id === undefined || (lookup?.ok && lookup.value === undefined)) {
      busy(false);
      return message.say(describeError(error), 'error');
    }
    message.say(
      `${describeError(error)} The payment may have gone through (transaction ${id}): check your balance and receipts before paying again.`,
      'error',
    );
  };
  const purpose = review.invoice ?? review.memo;
  show(
    'review',
    'Review the payment',
    h(
      'section',
      { class: 'card', id: 'review' },
      h('p', { class: 'amount', id: 'review-amount' }, price),
      facts([
        ['Pay to', review.payee, { id: 'review-payee', class: 'mono' }],
        ...(purpose === undefined ? [] : ([['For', purpose, { id: 'review-memo' }]] as const)),
        ['From', fromField(nav, session, pending), { id: 'review-from' }],
        ['Available', `${review.balance_available} ${review.currency}`, { id: 'review-balance' }],
        ['Node', `${review.node.name} · ${review.node.url}`, { id: 'review-node' }],
      ]),
      review.sufficient
        ? null
        : h(
            'p',
            { class: 'warning', id: 'review-insufficient' },
            'Your available balance may not cover this payment. The ledger refuses it if it does not; nothing is lost.',
          ),
    ),
    paidBeforeNote(session, pending.request),
    offersSection(session, review, pending.merchant),
    h(
      'p',
      { class: 'muted' },
      'Pay signs this payment with your key, on this device. Only the signed payment is sent.',
    ),
    message.element,
    h('div', { class: 'buttons' }, payButton, cancel),
  );
}
