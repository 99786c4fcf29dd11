// Broadsheet as an installable app: start the service worker that keeps the last pages read and
// saved articles for reading offline. Pages work the same without it.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    // No worker (private browsing, blocked storage): the site simply stays online-only.
  });
  // A page whose navigation began while the worker was still installing (the first sign-in
  // form sent at once, say) is not claimed by it: ask the worker to take this page too, so
  // it is kept for offline reading like every later one.
  navigator.serviceWorker.ready.then(function (registration) {
    if (!navigator.serviceWorker.controller && registration.active) {
      registration.active.postMessage("claim");
    }
  });
})();
