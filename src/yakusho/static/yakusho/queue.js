// Queue tickets (整理券): progressive enhancement only — every page works without this file.
// - [data-queue-ticket]: the resident's page; polls its small JSON every data-poll-seconds (10 s).
// - [data-queue-display]: the hall's screen; polls its JSON and announces new calls (aria-live).
// - [data-queue-print]: a button that prints the ticket; [data-queue-return]: the kiosk's way back.
(function () {
  "use strict";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  function every(root, fallback, fn) {
    var seconds = parseInt(root.getAttribute("data-poll-seconds") || fallback, 10);
    window.setInterval(function () { if (!document.hidden) { fn(); } }, Math.max(seconds, 2) * 1000);
  }

  function setText(root, name, text) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el && el.textContent !== text) { el.textContent = text; }
    return el;
  }

  function clock() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function ticketPage(root) {
    var url = root.getAttribute("data-queue-ticket");
    function update(s) {
      if (!s) { return; }
      setText(root, "number", s.number);
      setText(root, "service", s.service);
      setText(root, "status_label", s.status_label);
      setText(root, "message", s.message);
      setText(root, "position_text", s.position_text || "");
      setText(root, "estimate_text", s.estimate_text || "");
      setText(root, "symbol", s.status === "called" ? "▶" : (s.status === "waiting" ? "…" : "■"));
      var windowEl = setText(root, "window", s.window || "");
      if (windowEl) { windowEl.hidden = !s.window; }
      var cancel = root.querySelector('[data-field="cancel"]');
      if (cancel) { cancel.hidden = s.status !== "waiting"; }
      setText(root, "updated", "(" + clock() + ")");
      root.setAttribute("data-status", s.status);
    }
    every(root, "10", function () { getJSON(url).then(update); });
  }

  function displayPage(root) {
    var url = root.getAttribute("data-queue-display");
    var strings = document.getElementById("queue-strings");
    var text = function (name) { return strings ? strings.getAttribute("data-" + name) : ""; };
    var seen = {};
    root.querySelectorAll("[data-list='calling'] li[data-id]").forEach(function (li) { seen[li.getAttribute("data-id")] = true; });

    function item(parts, id) {
      var li = document.createElement("li");
      if (id) { li.setAttribute("data-id", id); }
      parts.forEach(function (p, i) {
        if (i) { li.appendChild(document.createTextNode(" ")); }
        var span = document.createElement("span");
        span.className = p[0];
        span.textContent = p[1];
        li.appendChild(span);
      });
      return li;
    }
    function none(message) {
      var li = document.createElement("li");
      li.className = "queue-none";
      li.textContent = message;
      return li;
    }
    function update(state) {
      if (!state) { return; }
      var announce = [];
      state.services.forEach(function (row) {
        var section = root.querySelector('[data-service="' + row.key + '"]');
        if (!section) { return; }
        var list = section.querySelector("[data-list='calling']");
        var items = row.calling.map(function (c) {
          if (!seen[c.id] && c.status === "called") {
            announce.push(text("announce").replace("{number}", c.number).replace("{window}", c.window));
          }
          seen[c.id] = true;
          return item([["queue-calling-number", c.number], ["queue-calling-window", c.window], ["queue-calling-status", c.status_label]], c.id);
        });
        list.replaceChildren.apply(list, items.length ? items : [none(text("none"))]);
        setText(section, "waiting", String(row.waiting));
      });
      var recent = root.querySelector("[data-list='recent']");
      var rows = state.recent.map(function (c) {
        var li = document.createElement("li");
        li.textContent = c.time + " " + c.number + " → " + c.window + "（" + c.service + "）";
        return li;
      });
      recent.replaceChildren.apply(recent, rows.length ? rows : [none(text("no-calls"))]);
      setText(root, "updated", state.updated);
      if (announce.length) { setText(root, "announce", announce.join(" ")); }
    }
    every(root, "5", function () { getJSON(url).then(update); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-queue-ticket]").forEach(ticketPage);
    document.querySelectorAll("[data-queue-display]").forEach(displayPage);
    document.querySelectorAll("[data-queue-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-queue-return]").forEach(function (link) {
      var seconds = parseInt(link.getAttribute("data-queue-return"), 10) || 60;
      window.setTimeout(function () { window.location.href = link.href; }, seconds * 1000);
    });
  });
})();
