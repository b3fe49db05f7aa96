// Queue tickets (整理券): progressive enhancement only — every page works without this file.
// - [data-queue-ticket]: the resident's page; polls its small JSON every data-poll-seconds (10 s).
// - [data-queue-display]: the hall's screen; polls its JSON and announces new calls (aria-live).
// The kiosk's reset after each ticket and the removal of its QR code are screen.js's (kiosk_base.html);
// the print button is site.js's [data-print].
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
      ["position_text", "estimate_text"].forEach(function (name) {
        var el = setText(root, name, s[name] || "");
        if (el) { el.hidden = !s[name]; }
      });
      setText(root, "symbol", s.status === "called" ? "▶" : (s.status === "waiting" ? "…" : "■"));
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

    function span(className, text) {
      var el = document.createElement("span");
      el.className = className;
      if (text !== undefined) { el.textContent = text; }
      return el;
    }
    // the same markup as display.html: number, then the window and the status in words
    function item(c) {
      var li = document.createElement("li");
      li.className = "queue-call";
      li.setAttribute("data-id", c.id);
      li.setAttribute("data-status", c.status);
      var where = span("queue-calling-where");
      var status = span("queue-calling-status");
      var symbol = span("", c.status === "called" ? "▶" : "■");
      symbol.setAttribute("aria-hidden", "true");
      status.append(symbol, " " + c.status_label);
      where.append(span("queue-calling-window", c.window), " ", status);
      li.append(span("queue-calling-number", c.number), " ", where);
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
          return item(c);
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
  });
})();
