// Broadsheet: reports how long a signed-in reader spends on an article (only while the page is
// visible) and whether they reached its end. Reports are batched and sent with sendBeacon to
// this site alone; each carries the total so far, so a repeat is harmless.
(function () {
  "use strict";
  var body = document.querySelector("[data-reading]");
  if (!body || !navigator.sendBeacon) { return; }
  var articleId = Number(body.getAttribute("data-reading"));
  var url = body.getAttribute("data-reads-url");
  var token = body.getAttribute("data-csrf");
  var seconds = 0;
  var sawEnd = false;
  var finished = false;
  var FINISH_AFTER = 10; // seconds: reaching the end of a short page at a glance is not reading it
  var visibleSince = document.visibilityState === "visible" ? Date.now() : null;
  var lastSent = "";
  var SEND_EVERY = 60000; // milliseconds: long reads are reported as they go

  function total() {
    var running = visibleSince === null ? 0 : (Date.now() - visibleSince) / 1000;
    return Math.round(seconds + running);
  }

  function send() {
    finished = finished || (sawEnd && total() >= FINISH_AFTER);
    var report = { article_id: articleId, seconds: total(), finished: finished };
    var key = report.seconds + ":" + report.finished;
    if (key === lastSent || (report.seconds === 0 && !finished)) { return; }
    var form = new FormData();
    form.append("csrfmiddlewaretoken", token);
    form.append("reads", JSON.stringify([report]));
    if (navigator.sendBeacon(url, form)) { lastSent = key; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      visibleSince = Date.now();
    } else {
      if (visibleSince !== null) { seconds += (Date.now() - visibleSince) / 1000; }
      visibleSince = null;
      send();
    }
  });
  window.addEventListener("pagehide", send);
  setInterval(function () { if (visibleSince !== null) { send(); } }, SEND_EVERY);

  var end = document.querySelector(".reading-end");
  if (end && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries, observer) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          sawEnd = true;
          observer.disconnect();
          send();
        }
      });
    }).observe(end);
  }
})();
