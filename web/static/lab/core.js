// The lab console's shared parts: its state, DOM helpers, the API client
// and the error display that every console tab uses. The tabs live in their
// own files (connect.js, clients.js, log.js, topics.js, device.js,
// faults.js, checks.js), the drawer and split view in panel.js, the start
// in main.js; each adds itself to window.courselabLab.
(function () {
  "use strict";

  var L = window.courselabLab = {
    panel: null,   // the console's <aside>
    course: "",    // the course id
    state: { details: null, devices: [], exercises: {} }
  };

  L.$ = function (sel, root) { return (root || L.panel).querySelector(sel); };
  L.$$ = function (sel, root) { return Array.prototype.slice.call((root || L.panel).querySelectorAll(sel)); };
  L.el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };

  // api resolves with {ok, status, body} for any HTTP answer.
  L.api = function (method, url, data) {
    var opt = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (data !== undefined) {
      opt.headers["Content-Type"] = "application/json";
      opt.body = JSON.stringify(data);
    }
    return fetch(url, opt).then(function (r) {
      return r.text().then(function (t) {
        var body = {};
        try { body = t ? JSON.parse(t) : {}; } catch (e) { body = { error: t }; }
        return { ok: r.ok, status: r.status, body: body };
      });
    }, function () {
      return { ok: false, status: 0, body: { error: "The server could not be reached; check your connection and try again." } };
    });
  };

  L.copyButton = function (getText, label) {
    var b = L.el("button", "lab-copy", "Copy");
    b.type = "button";
    b.setAttribute("aria-label", "Copy " + label);
    b.addEventListener("click", function () {
      window.courselab.copyText(getText()).then(function () {
        b.textContent = "Copied";
        b.classList.add("done");
        setTimeout(function () { b.textContent = "Copy"; b.classList.remove("done"); }, 1500);
      }, function () { b.textContent = "Select it"; });
    });
    return b;
  };

  // shellQuote quotes for a POSIX shell.
  L.shellQuote = function (s) { return "'" + String(s).replace(/'/g, "'\\''") + "'"; };

  // topicMatches applies an MQTT filter (+ and #) to a topic.
  L.topicMatches = function (filter, topic) {
    if (!filter) return true;
    if (!topic) return false;
    var f = filter.split("/"), t = topic.split("/");
    for (var i = 0; i < f.length; i++) {
      if (f[i] === "#") return true;
      if (i >= t.length) return false;
      if (f[i] !== "+" && f[i] !== t[i]) return false;
    }
    return f.length === t.length;
  };

  // prettyPayload renders JSON objects indented, anything else as it is.
  L.prettyPayload = function (p) {
    if (p == null || p === "") return { text: "(empty)", json: false, empty: true };
    var s = String(p).trim();
    if (s[0] === "{" || s[0] === "[") {
      try { return { text: JSON.stringify(JSON.parse(s), null, 2), json: true }; } catch (e) { /* not JSON */ }
    }
    return { text: String(p), json: false };
  };

  L.clock = function (iso) {
    var d = iso ? new Date(iso) : new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    var ms = String(d.getMilliseconds()).padStart(3, "0");
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) + "." + ms;
  };

  // showErrors puts an API error at its field (aria-invalid) or under the form.
  L.showErrors = function (form, res) {
    L.clearErrors(form);
    var msg = (res.body && res.body.error) || "That did not work; try again.";
    var field = res.body && res.body.field;
    var input = field && form.querySelector('[name="' + field + '"]');
    var out = form.querySelector("[data-error]");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      var p = L.el("p", "field-error lab-field-error", msg);
      p.id = "err-" + Math.random().toString(36).slice(2);
      input.setAttribute("aria-describedby", p.id);
      var label = input.closest("label") || input;
      label.insertAdjacentElement("afterend", p);
      input.focus();
    } else if (out) {
      out.textContent = msg;
    }
  };

  L.clearErrors = function (form) {
    L.$$("[aria-invalid]", form).forEach(function (i) { i.removeAttribute("aria-invalid"); i.removeAttribute("aria-describedby"); });
    L.$$(".lab-field-error", form).forEach(function (p) { p.remove(); });
    var out = form.querySelector("[data-error]");
    if (out) out.textContent = "";
  };

  L.busy = function (form, on) {
    L.$$("button", form).forEach(function (b) { b.disabled = on; });
    form.setAttribute("aria-busy", on ? "true" : "false");
  };

  L.flash = function (btn, text) {
    var old = btn.textContent;
    btn.textContent = text;
    btn.classList.add("done");
    setTimeout(function () { btn.textContent = old; btn.classList.remove("done"); }, 1200);
  };

  // badge shows a count on a console tab (hidden at 0).
  L.badge = function (name, n) {
    var b = L.$('[data-badge="' + name + '"]');
    if (!b) return;
    b.hidden = !n;
    b.textContent = n > 99 ? "99+" : String(n);
  };

  L.currentTab = function () { var t = L.$('[role=tab][aria-selected="true"]'); return t ? t.id : ""; };
})();
