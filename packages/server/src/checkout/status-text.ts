import type { CheckoutStatus, CheckoutView } from './source.js';

/**
 * What the page shows for a status. `phase` decides which parts are visible: `pay` shows the QR
 * code and pay buttons, `wait` a "confirming" symbol, `done` the outcome (and a return link).
 */
export interface StatusText {
  readonly status: CheckoutStatus;
  readonly phase: 'pay' | 'wait' | 'done';
  readonly title: string;
  readonly detail: string;
  /** Shown in the QR code's place once there is nothing left to pay. */
  readonly symbol: string;
}

/**
 * The status texts, shared by the server's first render and the page script, which gets this
 * function's source (so it must stay self-contained: no imports, no module-level names).
 * `nowMs` is the node's clock: a New invoice whose expiry has passed shows as Expired even if the
 * node has not yet noticed.
 */
export function describeStatus(view: CheckoutView, nowMs: number): StatusText {
  const money = (amount: string) => `${amount} ${view.currency}`;
  const partial = view.additional_status === 'PaidPartial';
  const status: CheckoutStatus =
    view.status === 'New' && Date.parse(view.expires_at) <= nowMs ? 'Expired' : view.status;
  switch (status) {
    case 'New':
      return partial
        ? {
            status,
            phase: 'pay',
            title: 'Partly paid',
            detail: `${money(view.amount_paid)} paid, ${money(view.amount_due)} still due.`,
            symbol: '',
          }
        : {
            status,
            phase: 'pay',
            title: 'Waiting for payment',
            detail: 'Scan the code with your wallet app, or press Pay Now.',
            symbol: '',
          };
    case 'Processing':
      return {
        status,
        phase: 'wait',
        title: 'Payment received, confirming…',
        detail: 'This usually takes a few seconds. Keep this page open.',
        symbol: '…',
      };
    case 'Settled': {
      const next = view.redirect_url ? 'Returning you to the shop…' : 'You can close this page.';
      const detail =
        view.additional_status === 'PaidOver'
          ? `${money(view.amount_paid)} paid, more than the amount due. ${next}`
          : view.additional_status === 'Marked'
            ? `The merchant marked this invoice as paid. ${next}`
            : `Thank you. ${next}`;
      return { status, phase: 'done', title: 'Paid', detail, symbol: '✓' };
    }
    case 'Expired':
      return {
        status,
        phase: 'done',
        title: 'Expired',
        detail: partial
          ? `${money(view.amount_paid)} paid, ${money(view.amount_due)} still due. Contact the merchant.`
          : 'This invoice expired before it was paid. Ask the shop for a new one.',
        symbol: '!',
      };
    case 'Invalid':
      return {
        status,
        phase: 'done',
        title: 'Invalid',
        detail: 'This invoice was cancelled. Do not pay it; contact the merchant.',
        symbol: '✕',
      };
  }
}

/**
 * Time left as "m:ss", "h:mm:ss" or "2d 5h" (invoices live up to 7 days). Self-contained, as
 * describeStatus.
 */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}:${two(minutes)}:${two(seconds)}`;
  return `${minutes}:${two(seconds)}`;
}
