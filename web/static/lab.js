// The lab console beside a lab course's text: connection details, the live
// log of the learner's sandbox, web MQTT clients run by the server, the
// device simulator and the page's exercises. The panel's HTML is the same
// for every learner; everything personal comes from the APIs.
(function () {
  "use strict";

  var LOG_MAX = 500;   // log lines kept in the page
  var MSG_MAX = 100;   // received messages shown per client

  var panel, course, state = {
    details: null, devices: [], clients: {}, order: [], max: 4,
    seen: new Set(), lastSeq: 0, paused: false, queued: [], filter: "", unread: 0,
    exercises: {}, sections: {}
  };

  // ---- small helpers -------------------------------------------------

  function $(sel, root) { return (root || panel).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || panel).querySelectorAll(sel)); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // api resolves with {ok, status, body} for any HTTP answer.
  function api(method, url, data) {
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
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "lab-offscreen";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) resolve(); else reject();
    });
  }

  function copyButton(getText, label) {
    var b = el("button", "lab-copy", "Copy");
    b.type = "button";
    b.setAttribute("aria-label", "Copy " + label);
    b.addEventListener("click", function () {
      copyText(getText()).then(function () {
        b.textContent = "Copied";
        b.classList.add("done");
        setTimeout(function () { b.textContent = "Copy"; b.classList.remove("done"); }, 1500);
      }, function () { b.textContent = "Select it"; });
    });
    return b;
  }

  // shellQuote quotes for a POSIX shell.
  function shellQuote(s) { return "'" + String(s).replace(/'/g, "'\\''") + "'"; }

  // topicMatches applies an MQTT filter (+ and #) to a topic.
  function topicMatches(filter, topic) {
    if (!filter) return true;
    if (!topic) return false;
    var f = filter.split("/"), t = topic.split("/");
    for (var i = 0; i < f.length; i++) {
      if (f[i] === "#") return true;
      if (i >= t.length) return false;
      if (f[i] !== "+" && f[i] !== t[i]) return false;
    }
    return f.length === t.length;
  }

  // prettyPayload renders JSON objects indented, anything else as it is.
  function prettyPayload(p) {
    if (p == null || p === "") return { text: "(empty)", json: false, empty: true };
    var s = String(p).trim();
    if (s[0] === "{" || s[0] === "[") {
      try { return { text: JSON.stringify(JSON.parse(s), null, 2), json: true }; } catch (e) { /* not JSON */ }
    }
    return { text: String(p), json: false };
  }

  function clock(iso) {
    var d = iso ? new Date(iso) : new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    var ms = String(d.getMilliseconds()).padStart(3, "0");
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) + "." + ms;
  }

  // showErrors puts an API error at its field (aria-invalid) or under the form.
  function showErrors(form, res) {
    clearErrors(form);
    var msg = (res.body && res.body.error) || "That did not work; try again.";
    var field = res.body && res.body.field;
    var input = field && form.querySelector('[name="' + field + '"]');
    var out = form.querySelector("[data-error]");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      var p = el("p", "field-error lab-field-error", msg);
      p.id = "err-" + Math.random().toString(36).slice(2);
      input.setAttribute("aria-describedby", p.id);
      var label = input.closest("label") || input;
      label.insertAdjacentElement("afterend", p);
      input.focus();
    } else if (out) {
      out.textContent = msg;
    }
  }

  function clearErrors(form) {
    $$("[aria-invalid]", form).forEach(function (i) { i.removeAttribute("aria-invalid"); i.removeAttribute("aria-describedby"); });
    $$(".lab-field-error", form).forEach(function (p) { p.remove(); });
    var out = form.querySelector("[data-error]");
    if (out) out.textContent = "";
  }

  function busy(form, on) {
    $$("button", form).forEach(function (b) { b.disabled = on; });
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  // ---- panel, drawer and tabs ----------------------------------------

  var wide = window.matchMedia("(min-width: 1200px)");

  function setOpen(open, focus) {
    var toggle = document.querySelector("[data-lab-toggle]");
    var layout = document.querySelector(".course-layout");
    panel.classList.toggle("open", open);
    if (layout) layout.classList.toggle("lab-collapsed", !open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.hidden = open; // the panel's own ✕ closes it
    document.body.classList.toggle("lab-drawer-open", open && !wide.matches);
    if (wide.matches) {
      try { localStorage.setItem("courselab.lab.open", open ? "1" : "0"); } catch (e) { /* private mode */ }
    }
    if (open && focus) { var t = $('[role=tab][aria-selected="true"]'); if (t) t.focus(); }
    if (!open && focus) toggle.focus();
  }

  function wirePanel() {
    var toggle = document.querySelector("[data-lab-toggle]");
    panel.hidden = false;
    toggle.hidden = false;
    var saved = null;
    try { saved = localStorage.getItem("courselab.lab.open"); } catch (e) { /* private mode */ }
    // Beside the text on wide screens unless the learner hid it; on narrow
    // ones closed until asked: the reading comes first.
    setOpen(wide.matches && saved !== "0", false);
    wide.addEventListener("change", function () { setOpen(wide.matches && saved !== "0", false); });
    toggle.addEventListener("click", function () { setOpen(!panel.classList.contains("open"), true); });
    $("[data-lab-close]").addEventListener("click", function () {
      saved = "0";
      setOpen(false, true);
    });
    toggle.addEventListener("click", function () { saved = null; });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && panel.classList.contains("open") && !wide.matches) setOpen(false, true);
    });

    var tabs = $$("[role=tab]");
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { selectTab(tab); });
      tab.addEventListener("keydown", function (ev) {
        var j = null;
        if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
        if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        if (ev.key === "Home") j = 0;
        if (ev.key === "End") j = tabs.length - 1;
        if (j !== null) { ev.preventDefault(); selectTab(tabs[j]); tabs[j].focus(); }
      });
    });
  }

  function selectTab(tab) {
    $$("[role=tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (tab.id === "lab-tab-log") {
      state.unread = 0;
      badge("log", 0);
      var pane = document.getElementById("lab-log");
      pane.scrollTop = pane.scrollHeight; // newest last
    }
  }

  function currentTab() { var t = $('[role=tab][aria-selected="true"]'); return t ? t.id : ""; }

  function badge(name, n) {
    var b = $('[data-badge="' + name + '"]');
    if (!b) return;
    b.hidden = !n;
    b.textContent = n > 99 ? "99+" : String(n);
  }

  // ---- connection details --------------------------------------------

  function renderDetails(d) {
    state.details = d;
    var dl = $("[data-details]");
    dl.textContent = "";
    var personal = !d.username;
    [["MQTT URL", d.mqtt_url], ["WebSocket URL", d.ws_url], ["User name", d.username], ["Password", d.password],
      ["REST base URL", d.api_base], ["Token", d.token]].forEach(function (row) {
      if (!row[1]) return;
      var wrap = el("div", "lab-detail");
      wrap.appendChild(el("dt", null, row[0]));
      var dd = el("dd");
      dd.appendChild(el("code", null, row[1]));
      dd.appendChild(copyButton(function () { return row[1]; }, row[0]));
      wrap.appendChild(dd);
      dl.appendChild(wrap);
    });
    $("[data-personal-note]").hidden = !personal;

    var u = new URL(d.mqtt_url.replace(/^mqtt:/, "http:"));
    var host = u.hostname, port = u.port || "1883";
    var auth = personal ? "" : " -u " + shellQuote(d.username) + " -P " + shellQuote(d.password);
    var bearer = personal ? "" : ' -H "Authorization: Bearer ' + d.token + '"';
    var opts = personal ? "" : ", { username: " + JSON.stringify(d.username) + ", password: " + JSON.stringify(d.password) + " }";
    var snippets = [
      ["Listen with mosquitto_sub", "mosquitto_sub -h " + host + " -p " + port + auth + " -t 'devices/#' -v"],
      ["Publish with mosquitto_pub", "mosquitto_pub -h " + host + " -p " + port + auth + " -t devices/ESPDEVICE/sensors/TC/value -m '{\"value\": 25}'"],
      ["Push a value with curl", "curl -X POST " + d.api_base + "/devices/ESPDEVICE/sensors/TC/value" + bearer + ' -H "Content-Type: application/json" -d \'{"value": 25}\''],
      ["Connect with MQTT.js", 'const client = mqtt.connect("' + d.ws_url + '"' + opts + ");"]
    ];
    var box = $("[data-snippets]");
    box.textContent = "";
    snippets.forEach(function (s) {
      var fig = el("figure", "lab-snippet");
      fig.appendChild(el("figcaption", null, s[0]));
      var pre = el("pre");
      pre.appendChild(el("code", null, s[1]));
      fig.appendChild(pre);
      fig.appendChild(copyButton(function () { return s[1]; }, s[0]));
      box.appendChild(fig);
    });
    updateCurl();
  }

  // ---- live log -----------------------------------------------------

  var KIND_WORDS = {
    "connect": "connected", "disconnect": "disconnected", "subscribe": "subscribed", "unsubscribe": "unsubscribed",
    "publish": "published", "deliver": "received", "ack": "ack", "will": "will sent", "session-resumed": "session resumed",
    "rest": "REST", "limit": "limit", "refused": "refused"
  };

  function who(e) {
    if (e.source === "platform") return { cls: "platform", text: "platform" };
    if (e.kind === "rest") return { cls: "learner", text: "HTTP" };
    return { cls: e.source === "console" ? "console" : "learner", text: e.client_id || "?" };
  }

  function detailText(e) {
    var d = e.detail || {};
    switch (e.kind) {
      case "connect":
        var parts = [d.protocol, d.clean_start ? "clean start" : "persistent session", "keep-alive " + d.keep_alive + " s"];
        if (d.will_topic) parts.push("will on " + d.will_topic);
        return parts.join(" · ");
      case "disconnect": return d.reason + (d.session_kept ? " · session kept" : "");
      case "subscribe":
        var fs = d.filters || [];
        if (fs.length < 2 && !fs.some(function (f) { return f.code >= 128; })) return "";
        return (d.filters || []).map(function (f) { return f.filter + " (QoS " + f.qos + (f.code >= 128 ? ", refused" : "") + ")"; }).join(", ");
      case "ack": return d.packet + " from " + d.from + (d.reason ? " · " + d.reason : "");
      case "session-resumed": return d.subscriptions + " subscriptions, " + d.queued + " queued";
      case "rest": return d.method + " " + d.path + " → " + d.status + (d.error ? " · " + d.error : "");
      case "limit": return d.message + (d.repeated ? " (×" + (d.repeated + 1) + ")" : "");
      case "refused": return d.reason || "";
    }
    return "";
  }

  function logLine(e) {
    var li = el("li", "lab-line k-" + e.kind + " s-" + (e.source || "learner"));
    li.dataset.topic = e.topic || "";
    li.dataset.seq = e.seq;
    var head = el("div", "lab-line-head");
    var t = el("time", "lab-time", clock(e.time));
    t.dateTime = e.time;
    head.appendChild(t);
    var w = who(e);
    head.appendChild(el("span", "who " + w.cls, w.text));
    head.appendChild(el("span", "lab-kind", KIND_WORDS[e.kind] || e.kind));
    if (e.topic) head.appendChild(el("code", "lab-topic", e.topic));
    if (e.kind === "publish" || e.kind === "deliver" || e.kind === "will" || e.kind === "subscribe") {
      head.appendChild(el("span", "lab-tag", "QoS " + e.qos));
    }
    if (e.retain) head.appendChild(el("span", "lab-tag retain", "retained"));
    li.appendChild(head);
    var dt = detailText(e);
    if (dt) li.appendChild(el("div", "lab-line-detail", dt));
    if (e.payload !== undefined && (e.kind === "publish" || e.kind === "deliver" || e.kind === "will")) {
      var p = prettyPayload(e.payload);
      li.appendChild(el(p.json ? "pre" : "div", "lab-payload" + (p.empty ? " empty" : ""), p.text));
    }
    return li;
  }

  function addLog(e) {
    var seq = Number(e.seq);
    if (state.seen.has(seq)) return; // a resumed stream never shows a line twice
    state.seen.add(seq);
    if (seq > state.lastSeq) state.lastSeq = seq;
    if (state.seen.size > LOG_MAX * 4) state.seen = new Set(Array.from(state.seen).slice(-LOG_MAX * 2));
    if (state.paused) {
      state.queued.push(e);
      if (state.queued.length > LOG_MAX) state.queued.shift();
      $("[data-log-pause]").textContent = "Resume (" + state.queued.length + ")";
      return;
    }
    appendLog([e]);
  }

  function appendLog(events) {
    var list = $("[data-log]");
    var pane = document.getElementById("lab-log");
    var atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    var frag = document.createDocumentFragment();
    events.forEach(function (e) {
      var li = logLine(e);
      li.hidden = !topicMatches(state.filter, e.topic);
      frag.appendChild(li);
    });
    list.appendChild(frag);
    while (list.children.length > LOG_MAX) list.removeChild(list.firstChild);
    $("[data-log-empty]").hidden = list.children.length > 0;
    $("[data-log-count]").textContent = list.children.length + " lines";
    if (currentTab() !== "lab-tab-log") { state.unread += events.length; badge("log", state.unread); }
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  }

  function wireLog() {
    var filter = $("[data-log-filter]");
    filter.addEventListener("input", function () {
      state.filter = filter.value.trim();
      $$("[data-log] > li").forEach(function (li) { li.hidden = !topicMatches(state.filter, li.dataset.topic); });
    });
    var pause = $("[data-log-pause]");
    pause.addEventListener("click", function () {
      state.paused = !state.paused;
      pause.setAttribute("aria-pressed", state.paused ? "true" : "false");
      pause.textContent = state.paused ? "Resume" : "Pause";
      if (!state.paused && state.queued.length) { appendLog(state.queued); state.queued = []; }
    });
    $("[data-log-clear]").addEventListener("click", function () {
      $("[data-log]").textContent = "";
      state.queued = [];
      $("[data-log-empty]").hidden = false;
      $("[data-log-count]").textContent = "";
    });
  }

  // ---- event stream ---------------------------------------------------

  function connectStream() {
    var status = $("[data-lab-status]");
    var dot = document.querySelector("[data-lab-dot]");
    var es = new EventSource("/api/lab/events");
    es.addEventListener("open", function () { status.textContent = "live"; status.className = "lab-status live"; if (dot) dot.classList.add("live"); });
    es.addEventListener("error", function () {
      status.textContent = "reconnecting…";
      status.className = "lab-status";
      if (dot) dot.classList.remove("live");
    });
    es.addEventListener("journal", function (ev) { addLog(JSON.parse(ev.data)); });
    es.addEventListener("reset", function () {
      state.seen = new Set();
      state.lastSeq = 0;
      $("[data-log]").textContent = "";
    });
    es.addEventListener("clients", function (ev) { setClients(JSON.parse(ev.data)); });
    es.addEventListener("client", function (ev) { var u = JSON.parse(ev.data); upsertClient(u.client); });
    es.addEventListener("message", function (ev) { var u = JSON.parse(ev.data); addMessage(u.id, u.message, true); });
    es.addEventListener("removed", function (ev) { removeClient(JSON.parse(ev.data).id); });
    // EventSource reconnects by itself, sending Last-Event-ID: the journal
    // resumes after the last line shown.
  }

  // ---- web clients ----------------------------------------------------

  function clientURL(id, action) { return "/api/lab/clients/" + encodeURIComponent(id) + (action ? "/" + action : ""); }

  function setClients(data) {
    state.max = data.max || state.max;
    var keep = {};
    (data.clients || []).forEach(function (c) { keep[c.id] = true; upsertClient(c, true); });
    Object.keys(state.clients).forEach(function (id) { if (!keep[id]) removeClient(id); });
    suggestClientID();
  }

  function upsertClient(info, withMessages) {
    var c = state.clients[info.id];
    if (!c) {
      var tpl = $("[data-client-template]");
      var card = tpl.content.firstElementChild.cloneNode(true);
      c = state.clients[info.id] = { info: info, el: card, lastSeq: 0 };
      card.dataset.client = info.id;
      wireClient(c);
      $("[data-clients]").appendChild(card);
    }
    var msgs = info.messages;
    c.info = info;
    renderClient(c);
    if (withMessages && msgs) {
      msgs.forEach(function (m) { addMessage(info.id, m, false); });
    }
    $("[data-clients-empty]").hidden = Object.keys(state.clients).length > 0;
    var n = Object.keys(state.clients).length;
    $("[data-new-client]").open = n === 0 || $("[data-new-client]").open;
    badge("clients", n);
  }

  function removeClient(id) {
    var c = state.clients[id];
    if (!c) return;
    c.el.remove();
    delete state.clients[id];
    var n = Object.keys(state.clients).length;
    $("[data-clients-empty]").hidden = n > 0;
    badge("clients", n);
    suggestClientID();
  }

  var STATE_WORDS = { "new": "new", connecting: "connecting…", connected: "connected", disconnected: "disconnected", dropped: "dropped", lost: "connection lost", refused: "refused" };

  function renderClient(c) {
    var i = c.info, card = c.el;
    card.className = "lab-client st-" + i.state;
    $('[data-f="client_id"]', card).textContent = i.client_id;
    var meta = ["MQTT " + i.protocol, i.clean_start ? "clean" : "persistent", "keep-alive " + i.keep_alive + " s"];
    if (i.will) meta.push("will → " + i.will.topic);
    $('[data-f="meta"]', card).textContent = meta.join(" · ");
    $('[data-f="state"]', card).textContent = STATE_WORDS[i.state] || i.state;
    var reason = i.reason || (i.state === "connected" && i.session_present ? "Resumed its earlier session: subscriptions and queued messages are back." : "");
    $('[data-f="reason"]', card).textContent = reason;
    $('[data-f="reason"]', card).hidden = !reason;
    var live = i.state === "connected";
    $('[data-act="connect"]', card).hidden = live || i.state === "connecting";
    $('[data-act="disconnect"]', card).hidden = !live;
    $('[data-act="drop"]', card).hidden = !live;
    $$("form button[type=submit]", card).forEach(function (b) { b.disabled = !live; });
    var subs = $('[data-f="subs"]', card);
    subs.textContent = "";
    (i.subscriptions || []).forEach(function (s) {
      var li = el("li");
      li.appendChild(el("code", null, s.filter));
      li.appendChild(el("span", "lab-tag", "QoS " + s.qos));
      var b = el("button", "lab-icon small", "✕");
      b.type = "button";
      b.setAttribute("aria-label", "Unsubscribe from " + s.filter);
      b.title = "Unsubscribe";
      b.disabled = !live;
      b.addEventListener("click", function () {
        api("POST", clientURL(i.id, "unsubscribe"), { filter: s.filter }).then(function (res) {
          if (res.ok) upsertClient(res.body.client); else showErrors($('[data-form="subscribe"]', card), res);
        });
      });
      li.appendChild(b);
      subs.appendChild(li);
    });
    $('[data-f="count"]', card).textContent = i.received ? "(" + i.received + ")" : "";
  }

  function addMessage(id, m, live) {
    var c = state.clients[id];
    if (!c || m.seq <= c.lastSeq) return;
    c.lastSeq = m.seq;
    var list = $('[data-f="msgs"]', c.el);
    var li = el("li", "lab-msg" + (m.retain ? " retained" : ""));
    var head = el("div", "lab-line-head");
    head.appendChild(el("time", "lab-time", clock(m.time)));
    head.appendChild(el("code", "lab-topic", m.topic));
    head.appendChild(el("span", "lab-tag", "QoS " + m.qos));
    if (m.retain) head.appendChild(el("span", "lab-tag retain", "retained"));
    if (m.dup) head.appendChild(el("span", "lab-tag", "dup"));
    li.appendChild(head);
    var p = m.binary ? { text: "0x" + m.payload + " (binary, " + m.size + " bytes)" } : prettyPayload(m.payload);
    li.appendChild(el(p.json ? "pre" : "div", "lab-payload" + (p.empty ? " empty" : ""), p.text));
    list.insertBefore(li, list.firstChild); // newest first
    while (list.children.length > MSG_MAX) list.removeChild(list.lastChild);
    if (live) {
      c.info.received = Math.max(c.info.received || 0, m.seq);
      $('[data-f="count"]', c.el).textContent = "(" + c.info.received + ")";
      li.classList.add("fresh");
    }
  }

  function wireClient(c) {
    var card = c.el;
    function act(name, method) {
      $('[data-act="' + name + '"]', card).addEventListener("click", function (ev) {
        var b = ev.currentTarget;
        b.disabled = true;
        var id = c.info.id;
        var url = name === "remove" ? clientURL(id) : clientURL(id, name);
        api(method || "POST", url).then(function (res) {
          b.disabled = false;
          if (name === "remove" && res.ok) { removeClient(id); return; }
          if (res.ok && res.body.client) upsertClient(res.body.client);
          if (!res.ok) { c.info.reason = res.body.error; renderClient(c); }
        });
      });
    }
    act("connect");
    act("disconnect");
    act("drop");
    act("remove", "DELETE");
    var sub = $('[data-form="subscribe"]', card);
    sub.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(sub);
      busy(sub, true);
      api("POST", clientURL(c.info.id, "subscribe"), { filter: sub.filter.value.trim(), qos: Number(sub.qos.value) }).then(function (res) {
        busy(sub, false);
        if (!res.ok) { showErrors(sub, res); return; }
        upsertClient(res.body.client);
      });
    });
    var pub = $('[data-form="publish"]', card);
    pub.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(pub);
      busy(pub, true);
      api("POST", clientURL(c.info.id, "publish"), {
        topic: pub.topic.value.trim(), payload: pub.payload.value, qos: Number(pub.qos.value), retain: pub.retain.checked
      }).then(function (res) {
        busy(pub, false);
        renderClient(c);
        if (!res.ok) { showErrors(pub, res); return; }
        var out = pub.querySelector("[data-error]");
        out.textContent = "";
        flash(pub.querySelector("button[type=submit]"), "Published ✓");
      });
    });
  }

  function flash(btn, text) {
    var old = btn.textContent;
    btn.textContent = text;
    btn.classList.add("done");
    setTimeout(function () { btn.textContent = old; btn.classList.remove("done"); }, 1200);
  }

  function suggestClientID() {
    var form = $('[data-form="open"]');
    if (form.client_id.dataset.touched) return;
    var used = {};
    Object.keys(state.clients).forEach(function (id) { used[state.clients[id].info.client_id] = true; });
    for (var n = 1; n < 100; n++) {
      if (!used["web-" + n]) { form.client_id.value = "web-" + n; return; }
    }
  }

  function wireOpenForm() {
    var form = $('[data-form="open"]');
    form.client_id.addEventListener("input", function () { form.client_id.dataset.touched = "1"; });
    suggestClientID();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(form);
      var body = {
        client_id: form.client_id.value.trim(),
        protocol: form.protocol.value,
        keep_alive: Number(form.keep_alive.value || 0),
        clean_start: form.clean_start.checked
      };
      var wt = form["will.topic"].value.trim();
      if (wt || form["will.payload"].value) {
        body.will = { topic: wt, payload: form["will.payload"].value, qos: Number(form["will.qos"].value), retain: form["will.retain"].checked };
      }
      busy(form, true);
      api("POST", "/api/lab/clients", body).then(function (res) {
        busy(form, false);
        if (res.body && res.body.client) upsertClient(res.body.client);
        if (!res.ok || res.body.error) { showErrors(form, res); return; }
        delete form.client_id.dataset.touched;
        form["will.topic"].value = "";
        form["will.payload"].value = "";
        suggestClientID();
        var card = state.clients[res.body.client.id].el;
        var f = card.querySelector('[name="filter"]');
        if (f) f.focus();
      });
    });
  }

  // ---- device: simulator and push a value -----------------------------

  function apiBase() { return "/api/v2"; }

  function loadDevices() {
    return api("GET", apiBase() + "/devices").then(function (res) {
      if (!res.ok) return;
      state.devices = res.body || [];
      $$("[data-devices]").forEach(function (sel) {
        sel.textContent = "";
        state.devices.forEach(function (d) {
          var o = el("option", null, d.name && d.name !== d.id ? d.id + " — " + d.name : d.id);
          o.value = d.id;
          sel.appendChild(o);
        });
      });
      fillPoints();
      simStatus();
    });
  }

  function fillPoints() {
    var form = $('[data-form="push"]');
    var d = state.devices.filter(function (x) { return x.id === form.device.value; })[0];
    var sel = form.point;
    sel.textContent = "";
    if (!d) return;
    [["sensors", "Sensors"], ["actuators", "Actuators"]].forEach(function (k) {
      if (!d[k[0]] || !d[k[0]].length) return;
      var g = el("optgroup");
      g.label = k[1];
      d[k[0]].forEach(function (p) {
        var o = el("option", null, p.id + (p.name ? " — " + p.name : ""));
        o.value = k[0] + "/" + p.id;
        g.appendChild(o);
      });
      sel.appendChild(g);
    });
    updateCurl();
  }

  // pushValue reads the value field as JSON (25, true, "on") or else text.
  function pushValue(raw) {
    var s = raw.trim();
    try { var v = JSON.parse(s); if (v === null || typeof v !== "object") return v; } catch (e) { /* text */ }
    return s;
  }

  function updateCurl() {
    var form = $('[data-form="push"]');
    var pre = $("[data-push-curl]");
    if (!state.details || !form.point.value) { pre.textContent = ""; return; }
    var d = state.details;
    var body = JSON.stringify({ value: pushValue(form.value.value) });
    var line = "curl -X POST " + d.api_base + "/devices/" + form.device.value + "/" + form.point.value + "/value" +
      (d.token ? ' -H "Authorization: Bearer ' + d.token + '"' : "") +
      ' -H "Content-Type: application/json" -d ' + shellQuote(body);
    pre.textContent = line;
    var box = pre.parentElement;
    var old = box.querySelector(".lab-copy");
    if (!old) box.appendChild(copyButton(function () { return pre.textContent; }, "the curl line"));
  }

  function simStatus() {
    var form = $('[data-form="sim"]');
    if (!form.device.value) return;
    api("GET", apiBase() + "/devices/" + encodeURIComponent(form.device.value) + "/simulation").then(function (res) {
      if (res.ok) showSim(res.body);
    });
  }

  function showSim(s) {
    var out = $("[data-sim-state]");
    out.textContent = s.running ? "Running" + (s.every_ms ? " every " + s.every_ms / 1000 + " s" : "") : "Stopped";
    out.classList.toggle("running", !!s.running);
  }

  function wireDevice() {
    var sim = $('[data-form="sim"]');
    sim.device.addEventListener("change", simStatus);
    sim.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(sim);
      var every = Math.round(Number(sim.every.value || 1) * 1000);
      busy(sim, true);
      api("POST", apiBase() + "/devices/" + encodeURIComponent(sim.device.value) + "/simulation", { every_ms: every }).then(function (res) {
        busy(sim, false);
        if (!res.ok) { showErrors(sim, res); return; }
        showSim(res.body);
      });
    });
    $("[data-sim-stop]").addEventListener("click", function () {
      clearErrors(sim);
      api("DELETE", apiBase() + "/devices/" + encodeURIComponent(sim.device.value) + "/simulation").then(function (res) {
        if (!res.ok) { showErrors(sim, res); return; }
        showSim(res.body);
      });
    });

    var push = $('[data-form="push"]');
    push.device.addEventListener("change", fillPoints);
    push.point.addEventListener("change", updateCurl);
    push.value.addEventListener("input", updateCurl);
    push.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(push);
      var ok = push.querySelector("[data-ok]");
      ok.textContent = "";
      if (!push.point.value) { showErrors(push, { body: { error: "Choose a sensor or actuator.", field: "point" } }); return; }
      busy(push, true);
      var url = apiBase() + "/devices/" + encodeURIComponent(push.device.value) + "/" + push.point.value + "/value";
      api("POST", url, { value: pushValue(push.value.value) }).then(function (res) {
        busy(push, false);
        if (!res.ok) { showErrors(push, { body: { error: res.body.error || res.body.message, field: "value" } }); return; }
        ok.textContent = "Sent " + JSON.stringify(res.body.value) + " to " + push.device.value + "/" + push.point.value + ".";
      });
    });
  }

  // ---- exercises and progress marks ------------------------------------

  // checkItem is one exercise in the panel: Check submits the exercise's
  // own form when it is on this page, else asks the API directly.
  function checkItem(id, title, href, form) {
    var li = el("li", "lab-check");
    li.dataset.exercise = id;
    li.appendChild(el("span", "lab-check-mark", "○"));
    var a = el("a", null, title);
    a.href = href;
    li.appendChild(a);
    var b = el("button", "lab-btn primary", "Check");
    b.type = "button";
    b.setAttribute("aria-label", "Check " + title);
    if (form) {
      var own = form.querySelector("button");
      b.disabled = !own || own.disabled;
    }
    b.addEventListener("click", function () {
      li.classList.add("checking");
      li.querySelector(".lab-check-result").textContent = "Checking your sandbox…";
      if (form) {
        if (form.requestSubmit) form.requestSubmit(); else form.querySelector("button").click();
        return;
      }
      b.disabled = true;
      api("POST", "/api/courses/" + encodeURIComponent(course) + "/exercises/" + encodeURIComponent(id) + "/check", {}).then(function (res) {
        b.disabled = false;
        if (!res.ok) { markExercise(id, false, res.body.error || "The check could not run; try again."); return; }
        document.dispatchEvent(new CustomEvent("courselab:checked", { detail: { exercise: id, result: res.body } }));
      });
    });
    li.appendChild(b);
    li.appendChild(el("p", "lab-check-result"));
    state.exercises[id] = li;
    return li;
  }

  function wireChecks() {
    var boxes = document.querySelectorAll(".prose .exercise[data-exercise]");
    var list = $("[data-checks]");
    var section = panel.getAttribute("data-section");
    $("[data-checks-empty]").hidden = boxes.length > 0;
    boxes.forEach(function (box) {
      var title = box.querySelector("h3");
      var id = box.getAttribute("data-exercise");
      list.appendChild(checkItem(id, title ? title.textContent : id, "#" + box.id, box.querySelector("form.exercise-check")));
    });
    api("GET", "/api/courses/" + encodeURIComponent(course) + "/exercises").then(function (res) {
      if (!res.ok) return;
      var others = $("[data-checks-other]");
      (res.body.exercises || []).forEach(function (e) {
        if (!state.exercises[e.id]) {
          others.appendChild(checkItem(e.id, e.title, "/courses/" + encodeURIComponent(course) + "/" + encodeURIComponent(e.section) + "#exercise-" + encodeURIComponent(e.id), null));
        }
        state.sections[e.id] = e.section;
        if (e.passed) { markExercise(e.id, true, null); markSection(e.section); }
      });
      $("[data-checks-other-head]").hidden = others.children.length === 0;
      countOpen();
    });
    document.addEventListener("courselab:checked", function (ev) {
      var d = ev.detail || {};
      var r = d.result || {};
      markExercise(d.exercise, !!r.passed, r.summary || "");
      if (r.passed) markSection(state.sections[d.exercise] || section);
    });
  }

  function markExercise(id, passed, summary) {
    var li = state.exercises[id];
    if (!li) return;
    li.classList.remove("checking");
    li.classList.toggle("passed", passed);
    li.classList.toggle("failed", !passed && summary !== null);
    li.querySelector(".lab-check-mark").textContent = passed ? "✓" : summary !== null ? "✗" : "○";
    if (summary !== null) li.querySelector(".lab-check-result").textContent = summary;
    countOpen();
  }

  // countOpen shows how many of the page's exercises are still to pass.
  function countOpen() {
    badge("checks", $$("[data-checks] > .lab-check:not(.passed)").length);
  }

  // markSection shows a section's mark in the sidebar without a reload.
  function markSection(slug) {
    if (!slug) return;
    var a = document.querySelector('.toc a[href="/courses/' + course + "/" + slug + '"]');
    if (!a) return;
    a.parentElement.classList.add("exercise-passed");
    if (a.querySelector(".read-mark")) return;
    var m = el("span", "read-mark", "✓");
    m.title = "Read";
    m.appendChild(el("span", "visually-hidden", " (read)"));
    a.appendChild(m);
  }

  // ---- start ----------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    panel = document.querySelector("[data-lab]");
    if (!panel || !window.fetch || !window.EventSource) return;
    course = panel.getAttribute("data-course");
    wirePanel();
    wireLog();
    wireOpenForm();
    wireDevice();
    wireChecks();
    api("GET", "/api/lab").then(function (res) {
      if (!res.ok) { $("[data-lab-status]").textContent = res.body.error || "lab unavailable"; return; }
      renderDetails(res.body);
      loadDevices();
      connectStream();
    });
  });
})();
