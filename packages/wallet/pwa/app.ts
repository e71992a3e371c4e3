/**
 * The WebWallet web app, served by the node at /wallet/ (packages/server/src/wallet) and built
 * by packages/wallet/scripts/build-pwa.mjs. Plain DOM, no framework: the wallet core does the
 * work (keys, lock, wallet document, paying), these modules only show it.
 *
 * Screens: first run (create with a recovery phrase shown once, or restore; choose a
 * passphrase), unlock, home (accounts with balances from the node, receipts), pay (review, sign
 * on the device, the receipt verified offline). A payment opens from /wallet/#pay=<URI> or, once
 * registered as the handler of web+webwallet: links, from /wallet/#uri=<URI>.
 */
import { lockWhenIdle } from './auto-lock.js';
import { showDevices } from './devices.js';
import { h } from './dom.js';
import { showHome } from './home.js';
import { showImport } from './instrument-import.js';
import { showCard, showCards } from './instruments.js';
import type { Nav } from './nav.js';
import { showJoin, showUnlock, showWelcome, takePairingFromFragment } from './onboarding.js';
import { paymentInFlight, showPayEntry, startReview } from './pay.js';
import {
  answerCancelled,
  answerPaid,
  fetchPaymentRequest,
  type HandledRequest,
  paymentUriOf,
  showRequester,
  takePaymentRequestId,
  totalProblem,
} from './payment-handler.js';
import { showReceipt } from './receipts.js';
import type { Session } from './session.js';
import { showShared } from './shared.js';
import { showProposalText, takeProposalFromFragment } from './shared-proposal.js';
import { loadWallet, type StoredWallet } from './store.js';
import { show, watchNetwork } from './ui.js';

/** Fragment keys that carry a payment URI: #pay= (links, QR codes) and #uri= (the protocol handler). */
const PAYMENT_FRAGMENTS = ['pay=', 'uri='];
const WORKER_URL = 'sw.js';
/** Fragment key that carries a card to add: #import=<card JSON, credential or "wwpt1." ticket, percent-encoded>. */
const IMPORT_FRAGMENT = 'import=';

let session: Session | undefined;
let record: StoredWallet | undefined;
/** A payment URI that arrived before the wallet was open. */
let pending: string | undefined;
/** A pairing code (#pair=) to add this device to a wallet with. */
let pendingPair: string | undefined;
/** A card (#import=) that arrived before the wallet was open. */
let pendingImport: string | undefined;
/** A shared wallet's proposal (#proposal=) that arrived before the wallet was open. */
let pendingProposal: string | undefined;
/** Stops the idle timer of the unlocked wallet (auto-lock.ts). */
let stopAutoLock: (() => void) | undefined;
/** The Payment Request this window was opened for (sw.js), until it is answered. */
let handling: { request: HandledRequest; uri: string } | undefined;

/** Takes a payment URI out of the fragment, and the fragment out of the address bar and history. */
/** Takes a card to add out of the fragment, and the fragment out of the address bar and history. */
function takeImportFromFragment(): string | undefined {
  const fragment = location.hash.slice(1);
  if (!fragment.startsWith(IMPORT_FRAGMENT)) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return fragment.slice(IMPORT_FRAGMENT.length);
}

function takePaymentFromFragment(): string | undefined {
  const fragment = location.hash.slice(1);
  const prefix = PAYMENT_FRAGMENTS.find((p) => fragment.startsWith(p));
  if (prefix === undefined) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return fragment.slice(prefix.length);
}

const nav: Nav = {
  // The node that served this app; a setting for another node comes with the sync slice.
  nodeUrl: location.origin,
  start() {
    const pair = pendingPair;
    pendingPair = undefined;
    if (pair !== undefined) return showJoin(nav, pair, record !== undefined);
    if (record) showUnlock(nav, record);
    else showWelcome(nav);
  },
  opened(opened) {
    if (session !== opened) session?.lock();
    session = opened;
    stopAutoLock?.();
    stopAutoLock = lockWhenIdle(() => nav.lock());
    opened.onSync((_, changed) => changed && showMerged());
    opened.startSync();
    const uri = pending;
    pending = undefined;
    const card = pendingImport;
    pendingImport = undefined;
    if (uri !== undefined) nav.pay(uri);
    else if (card !== undefined) nav.importCard(card);
    else if (pendingProposal !== undefined) nav.proposal(pendingProposal);
    else nav.home();
  },
  home() {
    // Once Pay is pressed the payment may reach the ledger: the merchant must hear "paid", not "cancelled".
    if (handling && paymentInFlight()) return;
    if (handling) return void cancelPaymentRequest('the payment was cancelled in the wallet');
    if (session) showHome(nav, session);
    else nav.start();
  },
  pay(uriText) {
    if (!session) {
      if (uriText !== undefined) pending = uriText;
      return nav.start();
    }
    // A Payment Request's window pays that request's link and nothing else: the merchant's
    // answer must be about the payment it asked for. Its page's coupons and vouchers are offered.
    if (handling) return void startReview(nav, session, handling.uri, { merchant_origin: handling.request.top_origin });
    if (uriText === undefined || uriText.trim() === '') return showPayEntry(nav);
    void startReview(nav, session, uriText);
  },
  receipt(key, fresh = false) {
    if (!session) return nav.start();
    if (fresh && handling) return void finishPaymentRequest(session, key);
    showReceipt(nav, session, key, fresh);
  },
  cards(note) {
    if (session) void showCards(nav, session, note);
    else nav.start();
  },
  card(id) {
    if (session) void showCard(nav, session, id);
    else nav.start();
  },
  importCard(text) {
    if (session) return showImport(nav, session, text);
    if (text !== undefined) pendingImport = text;
    nav.start();
  },
  shared() {
    if (session) void showShared(nav, session);
    else nav.start();
  },
  proposal(text) {
    if (!session) {
      pendingProposal = text;
      return nav.start();
    }
    pendingProposal = undefined;
    void showProposalText(nav, session, text);
  },
  devices() {
    if (session) showDevices(nav, session);
    else nav.start();
  },
  lock() {
    stopAutoLock?.();
    stopAutoLock = undefined;
    session?.lock();
    session = undefined;
    // The stored wallet has changed since it was unlocked (receipts, other tabs): unlock the latest.
    void loadWallet()
      .then((stored) => {
        record = stored;
      })
      .catch(() => undefined)
      .then(() => nav.start());
  },
  pendingNote() {
    if (pending === undefined && pendingProposal !== undefined) {
      return h(
        'p',
        { class: 'warning', id: 'pending-proposal' },
        'A shared wallet proposal is waiting: open your wallet to review it.',
      );
    }
    if (pending === undefined && pendingImport !== undefined) {
      return h('p', { class: 'warning', id: 'pending-import' }, 'A card is waiting: open your wallet to add it.');
    }
    return pending === undefined
      ? null
      : h('p', { class: 'warning', id: 'pending-payment' }, 'A payment is waiting: open your wallet to review it.');
  },
};

interface TrustedTypePolicyFactory {
  createPolicy(
    name: string,
    rules: { createScriptURL(input: string): string },
  ): { createScriptURL(input: string): unknown };
}

/**
 * The service worker's URL. The page's CSP requires Trusted Types for script URLs: the "wallet"
 * policy vouches for exactly one. Browsers without Trusted Types take the plain string.
 */
function workerUrl(): string {
  const factory = (window as { trustedTypes?: TrustedTypePolicyFactory }).trustedTypes;
  const policy = factory?.createPolicy('wallet', {
    createScriptURL(input) {
      if (input !== WORKER_URL) throw new TypeError(`not the wallet's service worker: ${input}`);
      return input;
    },
  });
  return policy ? (policy.createScriptURL(WORKER_URL) as string) : WORKER_URL;
}

/** Keeps the app shell for offline use (the service worker) and says when that is ready. */
async function keepOffline(): Promise<void> {
  const note = document.getElementById('offline-ready');
  const say = (text: string, ready: boolean) => {
    if (!note) return;
    note.textContent = text;
    if (ready) note.dataset.ready = 'yes';
  };
  if (!('serviceWorker' in navigator)) return say('This browser cannot keep the wallet for offline use here.', false);
  const ready = () => say('This wallet opens without a network; balances and payments need the node.', true);
  // Served by the worker already (offline, say): register() below may wait for the network.
  if (navigator.serviceWorker.controller) ready();
  try {
    await navigator.serviceWorker.register(workerUrl(), { scope: './' });
    await navigator.serviceWorker.ready;
    ready();
  } catch (error) {
    if (!navigator.serviceWorker.controller) say(`Offline use is not available: ${(error as Error).message}`, false);
  }
}

/** This window is a payment handler's: take the request from the worker and pay it once unlocked. */
async function startPaymentRequest(id: string): Promise<void> {
  const request = await fetchPaymentRequest(id).catch(() => undefined);
  if (!request) {
    show(
      'payment-request',
      'Payment request',
      h(
        'p',
        { class: 'error' },
        'This payment request is over: the page that asked for it stopped waiting. Nothing was paid.',
      ),
    );
    return;
  }
  showRequester(request);
  const found = paymentUriOf(request);
  const problem = 'problem' in found ? found.problem : totalProblem(request, found.uri);
  if (problem !== undefined || 'problem' in found) {
    const text = problem ?? 'The payment request has no payment link.';
    await answerCancelled(request, text);
    show(
      'payment-request',
      'Payment request',
      h('p', { class: 'error', id: 'payment-request-problem' }, `${text} Nothing was paid.`),
    );
    return;
  }
  handling = { request, uri: found.uri };
  pending = found.uri;
}

/** Paid: the merchant gets the transaction and a payer token, and the browser closes this window. */
async function finishPaymentRequest(open: Session, key: string): Promise<void> {
  const current = handling;
  const stored = open.document.receipt(key);
  if (!current || !stored) return;
  handling = undefined;
  const origin = current.request.top_origin;
  try {
    await answerPaid(open, current.request, current.uri, stored.receipt);
    show('payment-request-done', 'Paid', h('p', { id: 'payment-request-result' }, `Paid. Returning to ${origin}…`));
  } catch (error) {
    const why = (error as Error).message;
    // Release the merchant's page either way; the person still holds the receipt.
    await answerCancelled(current.request, `paid, but the wallet could not answer: ${why}`);
    show(
      'payment-request-done',
      'Paid',
      h(
        'p',
        { class: 'warning', id: 'payment-request-result' },
        `Paid, and the receipt is in your wallet, but ${origin} could not be told: ${why}. Show it the receipt.`,
      ),
    );
  }
}

/** Leaving the payment answers the merchant page that nothing was paid. */
async function cancelPaymentRequest(reason: string): Promise<void> {
  const current = handling;
  handling = undefined;
  if (!current) return;
  await answerCancelled(current.request, reason);
  show('payment-request-done', 'Cancelled', h('p', { id: 'payment-request-result' }, 'Cancelled. Nothing was paid.'));
}

/**
 * Shows what a sync merged in from the wallet's other devices: the screen showing the document
 * is drawn again, unless the user is typing on it (what they type would be lost).
 */
function showMerged(): void {
  const active = document.activeElement;
  if (!session || active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement) return;
  const screen = document.getElementById('main')?.dataset.screen;
  const receiptKey = document.getElementById('receipt')?.dataset.key;
  if (screen === 'home') showHome(nav, session);
  else if (screen === 'receipt' && receiptKey !== undefined) showReceipt(nav, session, receiptKey, false);
}

async function main(): Promise<void> {
  watchNetwork();
  void keepOffline();
  const requestId = takePaymentRequestId();
  if (requestId !== undefined) await startPaymentRequest(requestId);
  if (requestId !== undefined && !handling) return;
  pendingPair = takePairingFromFragment();
  pending ??= takePaymentFromFragment();
  pendingImport = takeImportFromFragment();
  pendingProposal = takeProposalFromFragment();
  window.addEventListener('hashchange', () => {
    if (handling) return; // this window pays one request; links opened in it wait for the wallet's own tab
    const pair = takePairingFromFragment();
    if (pair !== undefined) return showJoin(nav, pair, record !== undefined || session !== undefined);
    const uri = takePaymentFromFragment();
    if (uri !== undefined) nav.pay(uri);
    const card = takeImportFromFragment();
    if (card !== undefined) nav.importCard(card);
    const proposal = takeProposalFromFragment();
    if (proposal !== undefined) nav.proposal(proposal);
  });
  try {
    record = await loadWallet();
  } catch (error) {
    show(
      'error',
      'The wallet cannot open',
      h('p', { class: 'error' }, `This browser's storage failed: ${(error as Error).message}`),
    );
    return;
  }
  nav.start();
}

void main();
