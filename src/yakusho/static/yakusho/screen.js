// Screens in a public place (templates/kiosk_base.html: the queue's kiosk and hall display, …).
// Progressive enhancement only: without this file the pages reset themselves through a
// <noscript><meta http-equiv="refresh"></noscript> and show everything.
// - [data-screen-return="45"] (a link): followed after that many seconds; the page is replaced
//   (location.replace), so the browser's Back does not lead to it again. The seconds left are
//   written into every [data-screen-countdown] element from its data-template ("{seconds}").
//   data-screen-return-after-print="10": once the page has been printed, only that long is left.
// - [data-screen-forget="30"]: removed from the page after that many seconds or once the page has
//   been printed — what the next person at the screen must not see (a ticket's QR code); every
//   [data-screen-forgotten] element is shown then.
// - [data-screen-reload="300"]: the page loads itself again after that many seconds.
(function () {
  "use strict";

  function seconds(el, name, fallback) {
    var n = parseInt(el.getAttribute(name) || "", 10);
    return isNaN(n) || n < 0 ? fallback : n;
  }

  function forget() {
    var removed = false;
    document.querySelectorAll("[data-screen-forget]").forEach(function (el) {
      el.remove();
      removed = true;
    });
    if (removed) {
      document.querySelectorAll("[data-screen-forgotten]").forEach(function (el) { el.hidden = false; });
    }
  }

  function countdown(link) {
    var left = seconds(link, "data-screen-return", 45);
    var afterPrint = seconds(link, "data-screen-return-after-print", left);
    function show() {
      document.querySelectorAll("[data-screen-countdown]").forEach(function (el) {
        var template = el.getAttribute("data-template") || "{seconds}";
        el.textContent = template.replace("{seconds}", String(left));
      });
    }
    show();
    var timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        window.location.replace(link.href);
        return;
      }
      show();
    }, 1000);
    window.addEventListener("afterprint", function () {
      if (left > afterPrint) { left = afterPrint; show(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forgettable = document.querySelectorAll("[data-screen-forget]");
    if (forgettable.length) {
      var after = Math.min.apply(null, Array.prototype.map.call(forgettable, function (el) {
        return seconds(el, "data-screen-forget", 30);
      }));
      window.setTimeout(forget, after * 1000);
      window.addEventListener("afterprint", forget);
    }
    var link = document.querySelector("a[data-screen-return]");
    if (link) { countdown(link); }
    var reloading = document.querySelector("[data-screen-reload]");
    if (reloading) {
      window.setTimeout(function () { window.location.reload(); },
        Math.max(seconds(reloading, "data-screen-reload", 600), 5) * 1000);
    }
  });
})();
