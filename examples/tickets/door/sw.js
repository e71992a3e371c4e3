/**
 * The door page's service worker (scope /door, so that both /door and /door/ open offline): it
 * keeps the page, its script, its stylesheet and the event's config, and answers from that copy,
 * so the page reloads and checks tickets with no network at all. The server writes the version into CACHE: a new build or config makes the
 * browser install a fresh copy on the next visit while online.
 */
const CACHE = 'door-__VERSION__';
const FILES = ['/door/', '/door/door.js', '/door/config.json', '/style.css', '/icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  const stale = (name) => name.startsWith('door-') && name !== CACHE;
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter(stale).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// Cache first: the kept copy is the door's; only what it does not hold goes to the network.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  // Online, /door redirects to /door/; offline, a bookmark of /door must open the page all the same.
  const request = url.pathname === '/door' ? '/door/' : event.request;
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(request, { ignoreSearch: true }))
      .then((kept) => kept ?? fetch(event.request)),
  );
});
