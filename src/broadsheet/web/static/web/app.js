// Broadsheet: small enhancements only; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The print view's "Print" button opens the browser's print dialog (hidden without JavaScript).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Keyboard shortcuts, as feed readers have them: j and k move between the page's articles
  // and stories, / goes to search, s saves the article being read, ? lists them. Keys typed
  // into a field, or pressed with Ctrl, Alt or Cmd, are left alone.
  var help = document.getElementById("shortcuts");
  var search = document.getElementById("site-search");

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" ||
      Boolean(target && target.isContentEditable);
  }

  function move(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("main .card-title a"));
    if (!links.length) { return; }
    var at = links.indexOf(document.activeElement);
    var next = at === -1 ? (step > 0 ? 0 : links.length - 1)
      : Math.min(Math.max(at + step, 0), links.length - 1);
    links[next].focus({ preventScroll: true });
    links[next].scrollIntoView({ block: "nearest" });
  }

  function toggleHelp() {
    if (!help || !help.showModal) { return; }
    if (help.open) { help.close(); } else { help.showModal(); }
  }

  document.querySelectorAll("[data-shortcuts]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", toggleHelp);
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey ||
        typing(event.target)) { return; }
    if (help && help.open && event.key !== "?") { return; }
    var save = document.querySelector("main form[data-save] button");
    if (event.key === "j") { move(1); }
    else if (event.key === "k") { move(-1); }
    else if (event.key === "/" && search) { search.focus(); search.select(); }
    else if (event.key === "s" && save) { save.click(); }
    else if (event.key === "?") { toggleHelp(); }
    else { return; }
    event.preventDefault();
  });
})();
