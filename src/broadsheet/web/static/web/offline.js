// The offline page: list what this browser kept for reading offline (saved first, then recent).
(function () {
  "use strict";
  if (!("caches" in window)) return;

  function titleOf(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var heading = doc.querySelector("h1");
    var text = heading ? heading.textContent : doc.title;
    return (text || "").replace(/\s+/g, " ").trim();
  }

  function fill(list) {
    var name = list.getAttribute("data-cache");
    var empty = document.querySelector('[data-empty="' + name + '"]');
    return caches.open(name).then(function (cache) {
      return cache.keys().then(function (requests) {
        requests.reverse(); // most recent first
        return Promise.all(requests.map(function (request) {
          return cache.match(request).then(function (response) {
            return response ? response.text() : "";
          }).then(function (html) {
            var url = new URL(request.url);
            return { href: url.pathname + url.search, title: titleOf(html) || url.pathname };
          });
        }));
      });
    }).then(function (items) {
      items.forEach(function (item) {
        if (item.href === window.location.pathname + window.location.search) return;
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.href = item.href;
        link.textContent = item.title;
        li.appendChild(link);
        list.appendChild(li);
      });
      if (empty) empty.hidden = list.children.length > 0;
    });
  }

  document.querySelectorAll("[data-cache]").forEach(function (list) { fill(list); });
})();
