// The service worker of the selling-places pages: the pages and their files stay usable offline.
// Calls to /api/ never go through this cache: the till keeps unsent receipts in IndexedDB itself
// and sends them when the connection returns.
const VERSION = {{ version|tojson }};
const CACHE = `sp-shell-${VERSION}`;
const SHELL = {{ shell|tojson }};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // 'reload': fetch every file anew, never from the HTTP cache, so one version is kept whole
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('sp-shell-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

function fromShell(url) {
  return url.origin === self.location.origin
    && !url.pathname.startsWith('/api/')
    && !url.pathname.startsWith('/health/')
    && url.pathname !== '/sw.js';
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || !fromShell(url)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const kept = await cache.match(url.pathname, { ignoreSearch: true });
    if (kept) return kept;
    try {
      return await fetch(event.request);
    } catch (error) {
      if (event.request.mode === 'navigate') {
        const home = await cache.match('/');
        if (home) return home;
      }
      throw error;
    }
  })());
});
