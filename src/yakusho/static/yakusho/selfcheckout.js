// The self-checkout's payment screen (templates/payments/selfcheckout/visit.html). Progressive
// enhancement only: without this file the form still pays once (its one-time key) and nothing
// returns by itself.
// - [data-selfcheckout-pay] (the form of method buttons): once a method is pressed, the buttons are
//   disabled (a second press sends nothing) and [data-selfcheckout-wait] 「端末でお支払いください」
//   is shown while the terminal is asked.
// - [data-selfcheckout-idle="90"] with data-selfcheckout-start: back to the start screen after that
//   many seconds without a touch or a key — never once a payment has been sent.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var sent = false;
    var form = document.querySelector("form[data-selfcheckout-pay]");
    if (form) {
      form.addEventListener("submit", function (event) {
        if (sent) { event.preventDefault(); return; }
        sent = true;
        var button = event.submitter;
        if (button && button.name) {  // a disabled button sends nothing: keep its value
          var kept = document.createElement("input");
          kept.type = "hidden";
          kept.name = button.name;
          kept.value = button.value;
          form.appendChild(kept);
        }
        window.setTimeout(function () {
          form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        }, 0);
        var wait = document.querySelector("[data-selfcheckout-wait]");
        if (wait) { wait.hidden = false; }
      });
    }
    var idle = document.querySelector("[data-selfcheckout-idle]");
    if (idle) {
      var seconds = parseInt(idle.getAttribute("data-selfcheckout-idle") || "", 10);
      var start = idle.getAttribute("data-selfcheckout-start");
      if (!isNaN(seconds) && seconds > 0 && start) {
        var timer = null;
        var arm = function () {
          if (timer) { window.clearTimeout(timer); }
          timer = window.setTimeout(function () { if (!sent) { window.location.replace(start); } }, seconds * 1000);
        };
        ["pointerdown", "keydown"].forEach(function (name) { document.addEventListener(name, arm); });
        arm();
      }
    }
  });
})();
