// The chat (docs/faq.md "Chat"): progressive enhancement of the chat page and of the panel that
// every public page of a municipality carries. Without this file the panel's form opens the chat
// page and every turn is a page of its own; with it, each turn is fetched as an HTML fragment
// (?fragment=1, escaped by the server) and added to the conversation, whose heading then takes the
// focus so that a screen reader reads the answer and Tab reaches its links.
(function () {
  "use strict";

  function withFragment(url) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "fragment=1";
  }

  function setup(root) {
    var log = root.querySelector(".chat-log");
    var base = root.getAttribute("data-chat-url");
    var failed = root.getAttribute("data-chat-error") || "";
    var busy = false;

    function append(html) {
      var holder = document.createElement("template");
      holder.innerHTML = html;
      var turn = holder.content.querySelector(".chat-turn");
      log.appendChild(holder.content);
      if (turn) {
        turn.focus({ preventScroll: true });
        turn.scrollIntoView({ block: "nearest" });
      }
    }

    // Fetch one turn and add it; false when a turn is still loading (the caller then keeps what the
    // resident typed). ``done(ok)`` runs once the turn (or the failure message) is there.
    function load(url, options, done) {
      if (busy) { return false; }
      busy = true;
      log.setAttribute("aria-busy", "true");
      fetch(url, Object.assign({ credentials: "same-origin", headers: { "X-Requested-With": "fetch" } }, options || {}))
        .then(function (r) {
          var type = r.headers.get("Content-Type") || "";
          return type.indexOf("text/html") === 0 ? r.text() : Promise.reject(new Error(String(r.status)));
        })
        .then(function (html) {
          if (html.indexOf("chat-turn") < 0) { throw new Error("not a turn"); }
          append(html);
          if (done) { done(true); }
        })
        .catch(function () {
          if (done) { done(false); }
          var p = document.createElement("p");
          p.className = "error chat-turn";
          p.setAttribute("tabindex", "-1");
          p.setAttribute("role", "alert");
          p.textContent = failed;
          log.appendChild(p);
        })
        .finally(function () {
          busy = false;
          log.removeAttribute("aria-busy");
        });
      return true;
    }

    root.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.hasAttribute("data-chat-ask")) {
        var input = form.querySelector("input[name=q]");
        var q = input.value.trim();
        event.preventDefault();
        if (!q) { input.focus(); return; }
        // the question stays in the field until its answer is there: a failure loses nothing typed
        load(withFragment(base + "?q=" + encodeURIComponent(q)), null, function (ok) {
          if (ok && input.value.trim() === q) { input.value = ""; }
        });
      } else if (form.hasAttribute("data-chat-form")) {
        event.preventDefault();
        var data = new FormData(form, event.submitter || undefined);
        var buttons = form.querySelectorAll("button");
        data.append("fragment", "1");
        var started = load(form.action, { method: "POST", body: data, headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" } }, function (ok) {
          if (!ok) { buttons.forEach(function (b) { b.disabled = false; }); }  // let them try again
        });
        if (started) { buttons.forEach(function (b) { b.disabled = true; }); }
      }
    });

    root.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-chat]");
      if (!link || !root.contains(link) || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      load(withFragment(link.href));
    });

    if (root.tagName === "DETAILS") {  // the panel: greet on first opening
      root.addEventListener("toggle", function () {
        if (root.open && !log.children.length) { load(withFragment(base)); }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chat-root]").forEach(setup);
  });
})();
