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

const MESSAGES: Partial<Record<string, string>> = {
  node_unreachable: 'The node cannot be reached. Check your connection and try again.',
  passphrase_wrong: 'That passphrase does not open this wallet. Check it and try again.',
  insufficient_funds: 'Your available balance does not cover this payment.',
  trust_limit_exceeded: 'The payee does not accept this much of this currency.',
  account_not_found: 'The account is not on the ledger yet.',
  node_key_untrusted: 'The node answered with another key than the one this wallet trusts. Nothing was paid.',
  payment_not_sealed: 'The node accepted the payment but has not sealed it in a block yet.',
  payment_uri_invalid: 'That is not a payment link this wallet can read.',
  recovery_phrase_invalid: 'That recovery phrase is not valid.',
};

/** A sentence for an error, with its code (which support and documentation use) at the end. */
export function describeError(error: WebWalletError): string {
  const reason = typeof error.details.reason === 'string' ? ` (${error.details.reason})` : '';
  const text = MESSAGES[error.code] ?? error.message;
  return `${text}${error.code === 'node_unreachable' ? '' : reason} Code: ${error.code}.`;
}
