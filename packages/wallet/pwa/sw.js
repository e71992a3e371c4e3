/**
 * The wallet's service worker (scope /wallet/): it keeps the app shell (page, script, stylesheet,
 * manifest, icon) and answers from that copy, so the wallet opens with no network and says it is
 * offline. Nothing else goes through it: calls to the node (balances, payments) always go to the
 * network, since the ledger is authoritative and a cached balance would be a wrong one.
 *
 * It is also the wallet's payment handler (W3C Payment Handler API): a page on any origin that
 * calls `new PaymentRequest([{ supportedMethods: "<node>/pay", data: { payment_uri } }], …).show()`
 * makes the browser install this worker from the web app manifest (its "serviceworker" entry)
 * and fire `paymentrequest` here. The worker opens a wallet window at #paymentrequest=<id>; the
 * window reviews, signs and pays like any payment, then posts the result back, which answers the
 * merchant's show(). The worker itself never holds a key: signing happens in the window, after
 * the person unlocks and confirms.
 *
 * The build writes its content hash into CACHE and the shell's file names into FILES: a new
 * build makes browsers install a fresh copy on the next visit while online.
 */
const CACHE = 'wallet-__VERSION__';
const FILES = __FILES__;
const SHELL = new Set(FILES.map((file) => new URL(file, self.registration.scope).href));

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...SHELL]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  const stale = (name) => name.startsWith('wallet-') && name !== CACHE;
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter(stale).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// Cache first for the shell only. The page's own URL may carry a fragment (#pay=…), which
// requests never include, and a query, which the shell ignores.
self.addEventListener('fetch', (event) => {
  if (event.request.method !== 'GET') return;
  const url = new URL(event.request.url);
  url.search = '';
  if (!SHELL.has(url.href)) return;
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(url.href))
      .then((kept) => kept ?? fetch(event.request)),
  );
});

// --- payment handler ---------------------------------------------------------------------------

/** The payment method this node's wallet answers: <origin>/pay (packages/server/src/wallet/routes.ts). */
const PAYMENT_METHOD = new URL('/pay', self.location.origin).href;
/** Requests waiting for their window; a browser shows one payment handler at a time, so few. */
const PAYMENT_REQUESTS_MAX = 8;
/** How long a request may wait for the person (Chromium ends a payment handler after 5 minutes anyway). */
const PAYMENT_WAIT_MS = 5 * 60_000;
const requests = new Map();

/** An origin as pages name it: Chromium passes topOrigin with a trailing slash. */
function originOf(text) {
  try {
    return new URL(text).origin;
  } catch {
    return String(text);
  }
}

/** What the window may know about a request: who asks, what the browser shows, the method's data. */
function describeRequest(event) {
  const ours = (event.methodData || []).find((m) => m.supportedMethods === PAYMENT_METHOD);
  return {
    top_origin: originOf(event.topOrigin),
    request_origin: originOf(event.paymentRequestOrigin),
    payment_request_id: event.paymentRequestId,
    method: PAYMENT_METHOD,
    data: ours ? (ours.data ?? null) : null,
    total: event.total ? { currency: event.total.currency, value: event.total.value } : null,
  };
}

function settle(id, outcome) {
  const request = requests.get(id);
  if (!request) return false;
  requests.delete(id);
  clearTimeout(request.timer);
  outcome(request);
  return true;
}

self.addEventListener('paymentrequest', (event) => {
  const id = crypto.randomUUID();
  const info = describeRequest(event);
  event.respondWith(
    new Promise((resolve, reject) => {
      if (requests.size >= PAYMENT_REQUESTS_MAX) return reject(new Error('the wallet is busy with other payments'));
      const timer = setTimeout(
        () => settle(id, (r) => r.reject(new Error('the payment was not confirmed in time'))),
        PAYMENT_WAIT_MS,
      );
      requests.set(id, { info, resolve, reject, timer });
      const url = new URL(`./#paymentrequest=${id}`, self.registration.scope).href;
      event.openWindow(url).then(
        (client) => {
          if (client === null) settle(id, (r) => r.reject(new Error('the wallet window could not open')));
        },
        (error) => settle(id, (r) => r.reject(error)),
      );
    }),
  );
});

// The merchant page gave up (PaymentRequest.abort()): agree, and forget what it asked.
self.addEventListener('abortpayment', (event) => {
  for (const id of [...requests.keys()])
    settle(id, (r) => r.reject(new Error('the merchant page aborted the payment')));
  event.respondWith(true);
});

// The wallet window asks for a request's details, then answers it once: paid or cancelled.
self.addEventListener('message', (event) => {
  const message = event.data || {};
  const port = event.ports && event.ports[0];
  const reply = (value) => port && port.postMessage(value);
  if (typeof message.id !== 'string') return;
  if (message.type === 'payment-request:get') {
    const request = requests.get(message.id);
    return reply(request ? request.info : null);
  }
  if (message.type === 'payment-request:paid') {
    const details = message.details;
    return reply(settle(message.id, (r) => r.resolve({ methodName: PAYMENT_METHOD, details })));
  }
  if (message.type === 'payment-request:cancel') {
    const reason = typeof message.reason === 'string' ? message.reason : 'the payment was cancelled in the wallet';
    return reply(settle(message.id, (r) => r.reject(new Error(reason))));
  }
});
