import type { WebWalletError } from '@webwallet/core';
import { type Child, h } from './dom.js';

/**
 * The page frame: one screen at a time in <main>, the network state in the header, and error
 * texts written for the person holding the phone rather than for a developer.
 */

/**
 * Replaces the screen. The heading takes focus, so screen readers announce the new screen and
 * keyboard users start from its top; main[data-screen] names it for tests and styles.
 */
export function show(screen: string, title: string, ...children: Child[]): HTMLElement {
  watchErrorDetails();
  const main = document.getElementById('main') as HTMLElement;
  const heading = h('h1', { id: 'screen-title', tabindex: -1 }, title);
  main.dataset.screen = screen;
  main.replaceChildren(heading);
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) main.append(child as Node);
  document.title = `${title} · WebWallet`;
  window.scrollTo(0, 0);
  heading.focus();
  return main;
}

type NetworkState = 'online' | 'offline' | 'unreachable';
let nodeReachable = true;

const NETWORK_TEXT: Record<NetworkState, string> = {
  online: 'Online',
  offline: 'Offline: balances and payments wait for the network. Your receipts are on this device.',
  unreachable: 'The node cannot be reached: balances and payments wait for it.',
};

export function networkState(): NetworkState {
  if (!navigator.onLine) return 'offline';
  return nodeReachable ? 'online' : 'unreachable';
}

function renderNetwork(): void {
  const element = document.getElementById('network');
  if (!element) return;
  const state = networkState();
  element.dataset.state = state;
  if (element.textContent !== NETWORK_TEXT[state]) element.textContent = NETWORK_TEXT[state];
}

/** Records whether the last call to the node got an answer. */
export function nodeAnswered(answered: boolean): void {
  nodeReachable = answered;
  renderNetwork();
}

export function watchNetwork(): void {
  const changed = () => {
    if (navigator.onLine) nodeReachable = true; // a fresh start: the next call tells
    renderNetwork();
  };
  window.addEventListener('online', changed);
  window.addEventListener('offline', changed);
  renderNetwork();
}

/** Plain sentences for the errors a person meets in the app; other codes say their own message. */
const MESSAGES: Partial<Record<string, string>> = {
  node_unreachable: 'The node cannot be reached. Check your connection and try again.',
  passphrase_wrong: 'That passphrase does not open this wallet. Check it and try again.',
  insufficient_funds: 'Your available balance does not cover this payment.',
  trust_limit_exceeded: 'The payee does not accept this much of this currency.',
  trust_limit_below_balance: 'The limit cannot be lower than what the account holds now. Choose a higher limit.',
  trust_line_self: 'This account issues that currency, so it holds it without accepting it.',
  trust_line_not_found: 'The account does not accept this currency yet. It must accept it before it can receive it.',
  currency_not_found: 'This ledger has no such currency. Check the code with whoever issues it.',
  holder_frozen: 'The issuer has frozen this currency for this account, so it cannot move now.',
  amount_invalid: 'That amount is not a number the wallet can read. Write it like 1000 or 12.50.',
  amount_too_precise: 'That amount has more decimal places than this currency allows.',
  amount_out_of_range: 'That amount is too large.',
  account_not_found: 'The account is not on the ledger yet.',
  timestamp_skew: "This device's clock is too far from the node's. Set it to the right time and try again.",
  rate_limited: 'The node is asked too often just now. Wait a moment and try again.',
  service_unavailable: 'The node cannot take this just now. Try again in a moment.',
  internal_error: "The node ran into a problem of its own. Try again; if it keeps happening, tell the node's operator.",
  node_key_untrusted: 'The node answered with another key than the one this wallet trusts. Nothing was paid.',
  payment_not_sealed: 'The node accepted the payment but has not sealed it in a block yet.',
  payment_uri_invalid: 'That is not a payment link this wallet can read.',
  recovery_phrase_invalid: 'That recovery phrase is not valid.',
};

/**
 * The technical part of an error: the reason (and the field it is about) when the error has
 * one, then the code, which support and the documentation use. Node errors leave the reason
 * out: it is the browser's own ("Failed to fetch") and says nothing more.
 */
export function errorDetails(error: WebWalletError): string {
  const { reason, field } = error.details as { reason?: unknown; field?: unknown };
  const about = typeof field === 'string' && field !== '' ? `${field}: ` : '';
  const why = typeof reason === 'string' && error.code !== 'node_unreachable' ? `Details: ${about}${reason} · ` : '';
  return `${why}Code: ${error.code}.`;
}

/** A plain sentence, then the technical part (shown smaller, see watchErrorDetails). */
export function withDetails(sentence: string, error: WebWalletError): string {
  return `${sentence} ${errorDetails(error)}`;
}

/**
 * A sentence for an error, then its details and code.
 *
 * @example
 * describeError(err('passphrase_wrong', { reason: 'authentication failed' }))
 * // "That passphrase does not open this wallet. Check it and try again.
 * //  Details: authentication failed · Code: passphrase_wrong."
 */
export function describeError(error: WebWalletError): string {
  return withDetails(MESSAGES[error.code] ?? error.message, error);
}

/**
 * The technical part of an error text: "Details: … · Code: x." or just "Code: x.". The screens
 * write error texts as plain strings (textContent), so the part is set apart where they land:
 * wrapped in <small class="error-details">, which the stylesheet shows smaller, below the
 * sentence. The text itself stays the same, so what a screen reader or a test reads is unchanged.
 */
const DETAILS_PART = /(?:Details: [\s\S]*?)?\bCode: [a-z][a-z0-9_]*\./;
/** Texts never split: typed or pasted text, and the part already set apart. */
const KEEP_WHOLE = 'small.error-details, textarea, code, pre, script, style';
let detailsWatched = false;

function setDetailsApart(text: Text): void {
  const parent = text.parentElement;
  const match = DETAILS_PART.exec(text.data);
  if (!parent || !match || parent.closest(KEEP_WHOLE)) return;
  const details = text.splitText(match.index);
  details.splitText(match[0].length);
  const small = h('small', { class: 'error-details' });
  details.replaceWith(small);
  small.append(details);
}

function textsIn(node: Node): Text[] {
  if (node instanceof Text) return [node];
  const texts: Text[] = [];
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let next = walker.nextNode(); next; next = walker.nextNode()) texts.push(next as Text);
  return texts;
}

/** Sets error details apart wherever a text lands in the page, from the first screen on. */
function watchErrorDetails(): void {
  if (detailsWatched) return;
  detailsWatched = true;
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      const added = record.type === 'characterData' ? [record.target] : [...record.addedNodes];
      for (const node of added) for (const text of textsIn(node)) setDetailsApart(text);
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
}
