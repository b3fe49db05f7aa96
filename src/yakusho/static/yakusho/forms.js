// Form pages, progressive enhancement only: every page works without this file, and the server
// validates every submit again.
//
// - The error summary (core/includes/error_summary.html) takes the focus when the page loads after
//   a failed submit; its links move the focus to the input they name (the first choice of a
//   group of radio buttons or check boxes).
// - In forms marked data-live-errors (the online application pages): a field whose condition the
//   page can read (data-show-when, from formrender.client_condition) is shown only while its
//   condition holds, and an error saying that nothing was given (data-missing) goes away, with its
//   line in the summary, as soon as the field is filled in or hidden by its condition.
(function () {
  "use strict";

  function controlIn(target) {
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) { return target; }
    return target.querySelector("input:not([type=hidden]), select, textarea");
  }

  function focusField(id) {
    var target = document.getElementById(id);
    if (!target) { return false; }
    var control = controlIn(target) || target;
    var heading = target.tagName === "FIELDSET" ? target.querySelector("legend")
      : control.id && document.querySelector("label[for='" + CSS.escape(control.id) + "']");
    (heading || target).scrollIntoView({ block: "start" });
    control.focus({ preventScroll: true });
    return true;
  }

  // --- conditions -----------------------------------------------------------------------------

  function controls(form, name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  function read(form, name, how) {
    var els = controls(form, name);
    if (how === "many") {
      return els.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
    }
    if (how === "flag") { return els.some(function (el) { return el.checked; }); }
    var value = "";
    els.forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) { value = el.value; } }
      else if (!value) { value = el.value; }
    });
    value = value.trim();
    return value === "" ? null : value;
  }

  function empty(v) {
    return v === null || v === undefined || v === false || v === "" || (Array.isArray(v) && v.length === 0);
  }

  function same(a, b) {
    if (Array.isArray(a) && Array.isArray(b)) {
      return a.length === b.length && a.every(function (x, i) { return same(x, b[i]); });
    }
    return a === b;
  }

  function evaluate(form, node) {
    switch (node[0]) {
      case "const": return node[1];
      case "list": return node.slice(1);
      case "ref": return read(form, node[1], node[2]);
      case "filled": return !empty(read(form, node[1], node[2]));
      case "not": return empty(evaluate(form, node[1]));
      case "and": return !empty(evaluate(form, node[1])) && !empty(evaluate(form, node[2]));
      case "or": return !empty(evaluate(form, node[1])) || !empty(evaluate(form, node[2]));
      case "cmp":
        var left = evaluate(form, node[2]);
        var right = evaluate(form, node[3]);
        if (node[1] === "in") {
          if (Array.isArray(right)) { return right.some(function (x) { return same(x, left); }); }
          return typeof left === "string" && typeof right === "string" && right.indexOf(left) >= 0;
        }
        return node[1] === "==" ? same(left, right) : !same(left, right);
      default: throw new Error("unknown condition " + node[0]);
    }
  }

  // --- errors that filling in answers ---------------------------------------------------------

  function filled(field) {
    var found = false;
    field.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.name.charAt(0) === "_" || el.type === "hidden") { return; }
      if (el.type === "radio" || el.type === "checkbox") { found = found || el.checked; }
      else if (el.type === "file") { found = found || el.files.length > 0; }
      else { found = found || el.value.trim() !== ""; }
    });
    return found;
  }

  function updateSummary(summary) {
    var left = summary.querySelectorAll(".error-summary-list li").length;
    var title = summary.querySelector(".error-summary-title");
    if (left) {
      title.textContent = summary.getAttribute("data-title").replace("{n}", String(left));
      return;
    }
    title.textContent = summary.getAttribute("data-none-left");
    summary.querySelectorAll(".error-summary-lead, .error-summary-list").forEach(function (el) { el.remove(); });
  }

  function resolve(field) {
    var id = field.getAttribute("data-error-field");
    var message = document.getElementById(id + "-error");
    if (message) { message.remove(); }
    field.classList.remove("field-error");
    field.removeAttribute("data-error-field");
    field.removeAttribute("data-missing");
    [field].concat(Array.prototype.slice.call(field.querySelectorAll("[aria-invalid], [aria-describedby]")))
      .forEach(function (el) {
        el.removeAttribute("aria-invalid");
        var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (t) {
          return t && t !== id + "-error";
        });
        if (ids.length) { el.setAttribute("aria-describedby", ids.join(" ")); }
        else { el.removeAttribute("aria-describedby"); }
      });
    document.querySelectorAll("[data-error-summary]").forEach(function (summary) {
      summary.querySelectorAll("a").forEach(function (a) {
        if (a.getAttribute("href") === "#" + id) { a.closest("li").remove(); }
      });
      updateSummary(summary);
    });
  }

  function live(form) {
    var conditional = Array.prototype.map.call(form.querySelectorAll("[data-show-when]"), function (el) {
      return { el: el, when: JSON.parse(el.getAttribute("data-show-when")) };
    });
    function apply() {
      conditional.forEach(function (c) {
        var holds = !empty(evaluate(form, c.when));
        c.el.hidden = !holds;
        if (!holds) {
          // an error of a field that no longer applies is no longer an error
          c.el.querySelectorAll("[data-error-field]").forEach(resolve);
          if (c.el.hasAttribute("data-error-field")) { resolve(c.el); }
        }
      });
    }
    function changed(event) {
      var field = event.target.closest && event.target.closest("[data-missing]");
      if (field && form.contains(field) && filled(field)) { resolve(field); }
      apply();
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-live-errors]").forEach(live);
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    document.querySelectorAll("[data-error-summary] a[href^='#']").forEach(function (a) {
      a.addEventListener("click", function (event) {
        if (focusField(a.getAttribute("href").slice(1))) { event.preventDefault(); }
      });
    });
    if (summary.querySelector(".error-summary-list")) { summary.focus(); }
  });
})();
