// Progressive enhancement only: every page works without this file.
// Elements with data-poll-url are refreshed from that URL every data-poll-seconds (polling, no
// long-lived connections), e.g. the 開庁中/閉庁中 status on a municipality's page.
(function () {
  "use strict";
  function poll(el) {
    var url = el.getAttribute("data-poll-url");
    var seconds = parseInt(el.getAttribute("data-poll-seconds") || "60", 10);
    window.setInterval(function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && html !== el.innerHTML) { el.innerHTML = html; } })
        .catch(function () { /* keep the last known status */ });
    }, Math.max(seconds, 15) * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  });
})();

// Forms marked data-unsaved-warning: leaving the page with something typed into one (and not
// sent) asks first, so a click elsewhere never silently discards what staff typed.
(function () {
  "use strict";
  var dirty = [];
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-unsaved-warning]").forEach(function (form) {
      form.addEventListener("input", function () { if (dirty.indexOf(form) < 0) { dirty.push(form); } });
      form.addEventListener("submit", function () { dirty = dirty.filter(function (f) { return f !== form; }); });
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty.length) { event.preventDefault(); event.returnValue = ""; }
  });
})();

// Buttons marked data-print (hidden without JavaScript) print the page: a receipt or a booking's
// confirmation, whose print stylesheet leaves out the site's navigation.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
