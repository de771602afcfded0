// The Log tab: the sandbox's journal, live. Lines of kinds this file does
// not know (new platform notices, say) still show, with their message.
(function (L) {
  "use strict";
  var el = L.el;
  var LOG_MAX = 500; // lines kept in the page

  var log = { seen: new Set(), paused: false, queued: [], filter: "", unread: 0 };

  var KIND_WORDS = {
    "connect": "connected", "disconnect": "disconnected", "subscribe": "subscribed", "unsubscribe": "unsubscribed",
    "publish": "published", "deliver": "received", "ack": "ack", "will": "will sent", "session-resumed": "session resumed",
    "rest": "REST", "limit": "limit", "refused": "refused", "fault": "fault"
  };

  function who(e) {
    if (e.source === "platform") return { cls: "platform", text: "platform" };
    if (e.kind === "rest") return { cls: "learner", text: "HTTP" };
    return { cls: e.source === "console" ? "console" : "learner", text: e.client_id || "?" };
  }

  // genericDetail shows a line of a kind this file does not know: its
  // message, else its scalar fields.
  function genericDetail(d) {
    if (d.message) return String(d.message);
    // coach has its own paragraph, dup its own tag.
    return Object.keys(d).filter(function (k) { return d[k] !== null && typeof d[k] !== "object" && k !== "coach" && k !== "dup"; })
      .map(function (k) { return k.replace(/_/g, " ") + ": " + d[k]; }).join(" · ");
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
        return fs.map(function (f) { return f.filter + " (QoS " + f.qos + (f.code >= 128 ? ", refused" : "") + ")"; }).join(", ");
      case "ack": return d.packet + " from " + d.from + (d.reason ? " · " + d.reason : "");
      case "session-resumed": return d.subscriptions + " subscriptions, " + d.queued + " queued";
      case "rest": return d.method + " " + d.path + " → " + d.status + (d.error ? " · " + d.error : "");
      case "limit": return d.message + (d.repeated ? " (×" + (d.repeated + 1) + ")" : "");
      case "refused": return d.reason || "";
      case "fault": return ""; // its coach says it all
    }
    return genericDetail(d);
  }

  function lineOf(e) {
    var li = el("li", "lab-line k-" + String(e.kind).replace(/[^a-z0-9-]/gi, "") + " s-" + (e.source || "learner"));
    li.dataset.topic = e.topic || "";
    li.dataset.seq = e.seq;
    var head = el("div", "lab-line-head");
    var t = el("time", "lab-time", L.clock(e.time));
    t.dateTime = e.time;
    head.appendChild(t);
    var w = who(e);
    head.appendChild(el("span", "who " + w.cls, w.text));
    head.appendChild(el("span", "lab-kind", KIND_WORDS[e.kind] || String(e.kind).replace(/-/g, " ")));
    if (e.topic) head.appendChild(el("code", "lab-topic", e.topic));
    if (e.kind === "publish" || e.kind === "deliver" || e.kind === "will" || e.kind === "subscribe") {
      head.appendChild(el("span", "lab-tag", "QoS " + e.qos));
    }
    if (e.retain) head.appendChild(el("span", "lab-tag retain", "retained"));
    // A QoS 1 or 2 exchange: whether it is a redelivery, and its latest
    // acknowledgement, on the message's own line (a "revised" event updates
    // it when the ack comes).
    var m = e.detail || {};
    if (m.dup) {
      var dup = el("span", "lab-tag dup", "DUP=1");
      dup.title = "Sent again: the first copy was not acknowledged";
      head.appendChild(dup);
    }
    if (m.ack) {
      var ended = m.ack === "PUBACK" || m.ack === "PUBCOMP";
      var tag = el("span", "lab-tag ack" + (ended ? " ended" : ""), m.ack + (ended ? " ✓" : " …"));
      tag.title = ended ? "exchange complete" : "exchange in progress";
      head.appendChild(tag);
    }
    li.appendChild(head);
    var dt = detailText(e);
    if (dt) li.appendChild(el("div", "lab-line-detail", dt));
    // The protocol coach: why the broker did this, in plain words.
    if (e.detail && e.detail.coach) li.appendChild(el("p", "lab-coach", String(e.detail.coach)));
    if (e.payload !== undefined && (e.kind === "publish" || e.kind === "deliver" || e.kind === "will")) {
      var p = L.prettyPayload(e.payload);
      li.appendChild(el(p.json ? "pre" : "div", "lab-payload" + (p.empty ? " empty" : ""), p.text));
    }
    return li;
  }

  // logLine is one journal line as the log shows it (the Faults tab too).
  L.logLine = lineOf;

  // addLog shows one journal line, once: a stream replayed to a new tab or
  // resumed after a reconnect repeats lines already shown.
  L.addLog = function (e) {
    var seq = Number(e.seq);
    if (log.seen.has(seq)) return;
    log.seen.add(seq);
    if (log.seen.size > LOG_MAX * 4) log.seen = new Set(Array.from(log.seen).slice(-LOG_MAX * 2));
    if (log.paused) {
      log.queued.push(e);
      if (log.queued.length > LOG_MAX) log.queued.shift();
      L.$("[data-log-pause]").textContent = "Resume (" + log.queued.length + ")";
      return;
    }
    append([e]);
  };

  // reviseLog replaces a line shown (or waiting while paused) by its new
  // state: its QoS exchange moved on.
  L.reviseLog = function (e) {
    var seq = Number(e.seq);
    for (var i = 0; i < log.queued.length; i++) {
      if (Number(log.queued[i].seq) === seq) { log.queued[i] = e; return; }
    }
    var old = L.$('[data-log] > li[data-seq="' + seq + '"]');
    if (!old) return;
    var li = lineOf(e);
    li.hidden = old.hidden;
    old.replaceWith(li);
  };

  // resetLog empties the log: the sandbox is a new one.
  L.resetLog = function () {
    log.seen = new Set();
    log.queued = [];
    L.$("[data-log]").textContent = "";
  };

  function append(events) {
    var list = L.$("[data-log]");
    var pane = document.getElementById("lab-log");
    var atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    var frag = document.createDocumentFragment();
    events.forEach(function (e) {
      var li = lineOf(e);
      li.hidden = !L.topicMatches(log.filter, e.topic);
      frag.appendChild(li);
    });
    list.appendChild(frag);
    while (list.children.length > LOG_MAX) list.removeChild(list.firstChild);
    L.$("[data-log-empty]").hidden = list.children.length > 0;
    L.$("[data-log-count]").textContent = list.children.length + " lines";
    if (L.currentTab() !== "lab-tab-log") { log.unread += events.length; L.badge("log", log.unread); }
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  }

  L.wireLog = function () {
    var filter = L.$("[data-log-filter]");
    filter.addEventListener("input", function () {
      log.filter = filter.value.trim();
      L.$$("[data-log] > li").forEach(function (li) { li.hidden = !L.topicMatches(log.filter, li.dataset.topic); });
    });
    var pause = L.$("[data-log-pause]");
    pause.addEventListener("click", function () {
      log.paused = !log.paused;
      pause.setAttribute("aria-pressed", log.paused ? "true" : "false");
      pause.textContent = log.paused ? "Resume" : "Pause";
      if (!log.paused && log.queued.length) { append(log.queued); log.queued = []; }
    });
    L.$("[data-log-clear]").addEventListener("click", function () {
      L.$("[data-log]").textContent = "";
      log.queued = [];
      L.$("[data-log-empty]").hidden = false;
      L.$("[data-log-count]").textContent = "";
    });
    document.addEventListener("courselab:lab-tab", function (ev) {
      if (ev.detail.tab !== "lab-tab-log") return;
      log.unread = 0;
      L.badge("log", 0);
      var pane = document.getElementById("lab-log");
      pane.scrollTop = pane.scrollHeight; // newest last
    });
  };
})(window.courselabLab);
