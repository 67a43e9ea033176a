/* Offline copy of the rep's pages (the visit form and the home page) and of the static files they use, so that
 * the visit form opens and its queue shows even when the phone has no network. Network first, cache second:
 * an online rep always sees the current page. API calls and every non-GET request are left alone. */
"use strict";

var CACHE = "crm-visits-offline-v1";
var PAGES = ["/visits/new/", "/me/"];

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function cacheKey(url) {
  return PAGES.indexOf(url.pathname) >= 0 ? url.origin + url.pathname : url.href;
}

self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "precache") return;
  var urls = (event.data.urls || []).map(function (u) { return new URL(u, self.location.origin); })
    .filter(function (u) { return u.origin === self.location.origin; });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return fetch(url.href, { credentials: "same-origin" }).then(function (resp) {
        if (resp.ok && !resp.redirected) return cache.put(cacheKey(url), resp);
        return null;
      }).catch(function () { return null; });
    }));
  }).then(function () {
    if (event.source) event.source.postMessage({ type: "precached" });
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var isPage = request.mode === "navigate" && PAGES.indexOf(url.pathname) >= 0;
  var isStatic = url.pathname.indexOf("/static/") === 0;
  if (!isPage && !isStatic) return;
  var key = cacheKey(url);
  event.respondWith(fetch(request).then(function (resp) {
    if (resp.ok && !resp.redirected && resp.type === "basic") {
      var copy = resp.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    } else if (isPage && (resp.type === "opaqueredirect" || resp.redirected)) {
      // Logged out: forget the signed-in copy of the page.
      caches.open(CACHE).then(function (cache) { cache.delete(key); });
    }
    return resp;
  }, function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(key);
    }).then(function (hit) {
      return hit || Response.error();
    });
  }));
});
