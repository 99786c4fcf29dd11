/* Broadsheet's service worker: the app shell, the last pages read and saved articles, offline.
 *
 * The server writes self.BROADSHEET in front of this file: the shell to precache, the app's paths
 * (from its URL names; "{id}" stands for an article's number) and a version that changes with
 * any of them. Three caches, all in this browser profile only:
 *   shell  - CSS, scripts, icons and the offline page, replaced whenever the version changes;
 *   pages  - the last pages read (network first, the cache when the network fails);
 *   saved  - the reader's saved articles, kept until they are unsaved.
 * Pages and saved articles are dropped whenever who is signed in changes (sign in, sign up,
 * sign out, account deleted), so one reader's pages are never shown to another. Requests other
 * than GET, API and account pages are never cached.
 */
"use strict";

const CONFIG = self.BROADSHEET;
const SHELL = "bs-shell-" + CONFIG.version;
const PAGES = "bs-pages";
const SAVED = "bs-saved";
const READER_CHANGES = [CONFIG.signin, CONFIG.signup, CONFIG.signout, CONFIG.accountDelete];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/* A path template with "{id}" as a pattern that captures the article's number. */
function idPattern(template) {
  const [before, after] = template.split("{id}");
  return new RegExp("^" + escapeRegExp(before) + "(\\d+)" + escapeRegExp(after) + "$");
}

const SAVE_PATH = idPattern(CONFIG.save);
const PRINT_PATH = idPattern(CONFIG.print);
const ARTICLE_PREFIX = CONFIG.article.split("{id}")[0];
const ARTICLE_PATH = new RegExp("^" + escapeRegExp(ARTICLE_PREFIX) + "(\\d+)/[\\w-]+/$");
const ARTICLE_LINK = new RegExp('href="(' + escapeRegExp(ARTICLE_PREFIX) + '\\d+/[\\w-]+/)"', "g");

/* The article number of a reading-page path, or null (save and print paths are not pages). */
function articleId(path) {
  if (SAVE_PATH.test(path) || PRINT_PATH.test(path)) return null;
  const match = ARTICLE_PATH.exec(path);
  return match ? match[1] : null;
}

const neverCached = (url) => CONFIG.neverCache.some((prefix) => url.pathname.startsWith(prefix));

function isKeepablePage(response) {
  const type = response.headers.get("Content-Type") || "";
  const control = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && type.startsWith("text/html")
    && !control.includes("no-store");
}

/* A copy that can answer a navigation (a followed redirect cannot), with the final URL. */
async function detached(response) {
  if (!response.redirected) return response;
  return new Response(await response.blob(), {
    status: response.status, statusText: response.statusText, headers: response.headers,
  });
}

// -- install and activate ----------------------------------------------------------------------

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL);
    await shell.addAll(CONFIG.shell.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("bs-shell-") && name !== SHELL)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

// -- requests ----------------------------------------------------------------------------------

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (READER_CHANGES.includes(url.pathname)) event.respondWith(readerChange(request));
    else if (SAVE_PATH.test(url.pathname)) event.respondWith(saveToggle(event, url));
    return;
  }
  if (request.method !== "GET" || neverCached(url)) return;
  if (request.mode === "navigate") event.respondWith(page(event, url));
  else if (url.pathname.startsWith(CONFIG.static)) event.respondWith(staticFile(request));
});

/* Pages: the network first, so readers always see today's news; the caches when it fails. */
async function page(event, url) {
  try {
    const response = await fetch(event.request);
    if (isKeepablePage(response)) event.waitUntil(remember(url, response.clone()));
    else if (response.status === 410) event.waitUntil(forgetRemoved(url));
    return response;
  } catch (offline) {
    return (await caches.match(url.href, { cacheName: SAVED, ignoreVary: true }))
      || (await caches.match(url.href, { cacheName: PAGES, ignoreVary: true }))
      || (await caches.match(CONFIG.offline, { cacheName: SHELL }))
      || Response.error();
  }
}

/* Keep a page among the last read (most recent last) and refresh its saved copy. */
async function remember(url, response) {
  if (url.pathname === CONFIG.offline) return;
  const key = url.href;
  const saved = await caches.open(SAVED);
  if (await saved.match(key, { ignoreVary: true })) await saved.put(key, response.clone());
  if (url.pathname === CONFIG.saved) await keepListed(await response.clone().text());
  const pages = await caches.open(PAGES);
  await pages.delete(key, { ignoreVary: true });
  await pages.put(key, response);
  const keys = await pages.keys();
  const extra = keys.slice(0, Math.max(0, keys.length - CONFIG.pagesKept));
  await Promise.all(extra.map((old) => pages.delete(old)));
}

/* Static files: from the shell cache, else the network (and kept until the next version). */
async function staticFile(request) {
  const shell = await caches.open(SHELL);
  const cached = await shell.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await shell.put(request, response.clone());
  return response;
}

// -- saved articles ----------------------------------------------------------------------------

/* Pass the save or remove through; once the server agrees, keep or drop the offline copy. */
async function saveToggle(event, url) {
  const id = SAVE_PATH.exec(url.pathname)[1];
  const form = new URLSearchParams(await event.request.clone().text());
  const response = await fetch(event.request);
  const done = (response.ok || response.type === "opaqueredirect")
    && !response.headers.get("HX-Redirect");
  if (done) {
    let action = form.get("action");
    if (!action) action = (await savedKeys(id)).length ? "remove" : "save";
    event.waitUntil(action === "remove" ? dropSaved(id) : keepSaved(id));
  }
  return response;
}

async function savedKeys(id) {
  const saved = await caches.open(SAVED);
  return (await saved.keys()).filter((request) => articleId(new URL(request.url).pathname) === id);
}

async function dropSaved(id) {
  const saved = await caches.open(SAVED);
  await Promise.all((await savedKeys(id)).map((request) => saved.delete(request)));
}

/* Store an article for offline reading: a fresh copy, else the copy among the pages read. */
async function keepSaved(id, path) {
  const saved = await caches.open(SAVED);
  try {
    // The header tells the server this is a copy for later, not the reader reading it now.
    const response = await fetch(path || CONFIG.article.replace("{id}", id), {
      credentials: "same-origin", headers: { "X-Broadsheet-Offline-Copy": "1" },
    });
    if (isKeepablePage(response)) {
      await saved.put(response.url, await detached(response));
      return;
    }
  } catch (offline) { /* fall back to the copy already read */ }
  const pages = await caches.open(PAGES);
  for (const request of await pages.keys()) {
    if (articleId(new URL(request.url).pathname) === id) {
      await saved.put(request.url, await pages.match(request));
      return;
    }
  }
}

/* The saved list names the reader's saved articles: keep any not stored yet, and, when the
   list is whole, drop the copies it no longer names (unsaved elsewhere, or taken down). This
   is the app's sync: every article it keeps offline is checked, and one an editor took down
   (its address answers 410 Gone) leaves every cache. */
async function keepListed(html) {
  const wanted = new Map();
  let whole = true;
  for (const match of html.matchAll(ARTICLE_LINK)) {
    const id = articleId(match[1]);
    if (!id || wanted.has(id)) continue;
    if (wanted.size >= 60) { whole = false; break; }
    wanted.set(id, match[1]);
  }
  for (const [id, path] of wanted) {
    if (!(await savedKeys(id)).length) await keepSaved(id, path);
  }
  if (whole) {
    const saved = await caches.open(SAVED);
    for (const request of await saved.keys()) {
      const id = articleId(new URL(request.url).pathname);
      if (id && !wanted.has(id)) await saved.delete(request);
    }
  }
  await forgetAllRemoved();
}

async function forgetAllRemoved() {
  const kept = new Map();
  for (const name of [SAVED, PAGES]) {
    for (const request of await (await caches.open(name)).keys()) {
      const url = new URL(request.url);
      const id = articleId(url.pathname);
      if (id) kept.set(id, url);
    }
  }
  for (const url of kept.values()) {
    try {
      const response = await fetch(url.pathname, {
        method: "HEAD", credentials: "same-origin",
        headers: { "X-Broadsheet-Offline-Copy": "1" },
      });
      if (response.status === 410) await forgetRemoved(url);
    } catch (offline) { return; }
  }
}

/* An article an editor took down (its page answers 410 Gone): no offline copy keeps it. */
async function forgetRemoved(url) {
  const id = articleId(url.pathname);
  if (!id) return;
  await dropSaved(id);
  const pages = await caches.open(PAGES);
  for (const request of await pages.keys()) {
    if (articleId(new URL(request.url).pathname) === id) await pages.delete(request);
  }
}

// -- who is reading ----------------------------------------------------------------------------

/* Signing in, up or out, or deleting the account: once it succeeds, forget the last reader's
   pages and saved articles before the next page is shown. */
async function readerChange(request) {
  const response = await fetch(request);
  if (response.status < 400) await forgetReader();
  return response;
}

async function forgetReader() {
  await Promise.all([caches.delete(PAGES), caches.delete(SAVED)]);
}

self.addEventListener("message", (event) => {
  if (event.data === "forget-reader") event.waitUntil(forgetReader());
  else if (event.data === "claim") event.waitUntil(self.clients.claim());
});
