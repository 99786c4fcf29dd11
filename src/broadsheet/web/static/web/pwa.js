// Broadsheet as an installable app: start the service worker that keeps the last pages read and
// saved articles for reading offline. Pages work the same without it.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    // No worker (private browsing, blocked storage): the site simply stays online-only.
  });
})();
