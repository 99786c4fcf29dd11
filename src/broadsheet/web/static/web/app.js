// Broadsheet: small enhancements only; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // Print view: offer the print dialog once the page is ready.
  if (document.body && document.body.classList.contains("print-view")) {
    window.addEventListener("load", function () { window.print(); }, { once: true });
  }
})();
