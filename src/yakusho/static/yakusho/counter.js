// The counter (書かない窓口): progressive enhancement only — every page works without this file.
// [data-counter-status]: the visit page while the resident confirms on the second screen. It polls
// the visit's small JSON every data-poll-seconds and reloads the page when the resident has
// confirmed or asked for a correction, so that staff see 「申請を完了する」 or the form again.
(function () {
  "use strict";
  function watch(root) {
    var url = root.getAttribute("data-counter-status");
    var seconds = parseInt(root.getAttribute("data-poll-seconds") || "3", 10);
    var confirmed = root.getAttribute("data-confirmed") === "1";
    var timer = window.setInterval(function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { return; }
          if (s.status !== "confirming" || s.confirmed !== confirmed) {
            window.clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { /* keep waiting */ });
    }, Math.max(seconds, 2) * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-counter-status]").forEach(watch);
  });
})();
