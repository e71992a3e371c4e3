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
import { h } from './dom.js';
import { showHome } from './home.js';
import type { Nav } from './nav.js';
import { showUnlock, showWelcome } from './onboarding.js';
import { showPayEntry, startReview } from './pay.js';
import { showReceipt } from './receipts.js';
import type { Session } from './session.js';
import { loadWallet, type StoredWallet } from './store.js';
import { show, watchNetwork } from './ui.js';

/** Fragment keys that carry a payment URI: #pay= (links, QR codes) and #uri= (the protocol handler). */
const PAYMENT_FRAGMENTS = ['pay=', 'uri='];
const WORKER_URL = 'sw.js';

let session: Session | undefined;
let record: StoredWallet | undefined;
/** A payment URI that arrived before the wallet was open. */
let pending: string | undefined;

/** Takes a payment URI out of the fragment, and the fragment out of the address bar and history. */
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
    if (record) showUnlock(nav, record);
    else showWelcome(nav);
  },
  opened(opened) {
    session = opened;
    const uri = pending;
    pending = undefined;
    if (uri !== undefined) nav.pay(uri);
    else nav.home();
  },
  home() {
    if (session) showHome(nav, session);
    else nav.start();
  },
  pay(uriText) {
    if (!session) {
      if (uriText !== undefined) pending = uriText;
      return nav.start();
    }
    if (uriText === undefined || uriText.trim() === '') return showPayEntry(nav);
    void startReview(nav, session, uriText);
  },
  receipt(key, fresh = false) {
    if (session) showReceipt(nav, session, key, fresh);
    else nav.start();
  },
  lock() {
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

async function main(): Promise<void> {
  watchNetwork();
  void keepOffline();
  pending = takePaymentFromFragment();
  window.addEventListener('hashchange', () => {
    const uri = takePaymentFromFragment();
    if (uri !== undefined) nav.pay(uri);
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
