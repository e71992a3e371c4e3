/**
 * The wallet's service worker (scope /wallet/): it keeps the app shell (page, script, stylesheet,
 * manifest, icon) and answers from that copy, so the wallet opens with no network and says it is
 * offline. Nothing else goes through it: calls to the node (balances, payments) always go to the
 * network, since the ledger is authoritative and a cached balance would be a wrong one.
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
