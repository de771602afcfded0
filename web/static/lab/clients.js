// The Clients tab: web MQTT clients that the server runs for the learner,
// with their subscriptions, publish forms and received messages.
(function (L) {
  "use strict";
  var MSG_MAX = 100; // received messages shown per client
  var clients = {};

  function clientURL(id, action) { return "/api/lab/clients/" + encodeURIComponent(id) + (action ? "/" + action : ""); }

  L.setClients = function (data) {
    var keep = {};
    (data.clients || []).forEach(function (c) { keep[c.id] = true; L.upsertClient(c, true); });
    Object.keys(clients).forEach(function (id) { if (!keep[id]) L.removeClient(id); });
    suggestClientID();
  };

  L.upsertClient = function (info, withMessages) {
    var c = clients[info.id];
    if (!c) {
      var tpl = L.$("[data-client-template]");
      var card = tpl.content.firstElementChild.cloneNode(true);
      c = clients[info.id] = { info: info, el: card, lastSeq: 0 };
      card.dataset.client = info.id;
      wireClient(c);
      L.$("[data-clients]").appendChild(card);
    }
    var msgs = info.messages;
    c.info = info;
    renderClient(c);
    if (withMessages && msgs) {
      msgs.forEach(function (m) { L.addMessage(info.id, m, false); });
    }
    L.$("[data-clients-empty]").hidden = Object.keys(clients).length > 0;
    var n = Object.keys(clients).length;
    L.$("[data-new-client]").open = n === 0 || L.$("[data-new-client]").open;
    L.badge("clients", n);
  };

  L.removeClient = function (id) {
    var c = clients[id];
    if (!c) return;
    c.el.remove();
    delete clients[id];
    var n = Object.keys(clients).length;
    L.$("[data-clients-empty]").hidden = n > 0;
    L.badge("clients", n);
    suggestClientID();
  };

  var STATE_WORDS = { "new": "new", connecting: "connecting…", connected: "connected", disconnected: "disconnected", dropped: "dropped", lost: "connection lost", refused: "refused" };

  function renderClient(c) {
    var i = c.info, card = c.el;
    card.className = "lab-client st-" + i.state;
    L.$('[data-f="client_id"]', card).textContent = i.client_id;
    var meta = ["MQTT " + i.protocol, i.clean_start ? "clean" : "persistent", "keep-alive " + i.keep_alive + " s"];
    if (i.will) meta.push("will → " + i.will.topic);
    L.$('[data-f="meta"]', card).textContent = meta.join(" · ");
    L.$('[data-f="state"]', card).textContent = STATE_WORDS[i.state] || i.state;
    var reason = i.reason || (i.state === "connected" && i.session_present ? "Resumed its earlier session: subscriptions and queued messages are back." : "");
    L.$('[data-f="reason"]', card).textContent = reason;
    L.$('[data-f="reason"]', card).hidden = !reason;
    var live = i.state === "connected";
    L.$('[data-act="connect"]', card).hidden = live || i.state === "connecting";
    L.$('[data-act="disconnect"]', card).hidden = !live;
    L.$('[data-act="drop"]', card).hidden = !live;
    L.$$("form button[type=submit]", card).forEach(function (b) { b.disabled = !live; });
    var subs = L.$('[data-f="subs"]', card);
    subs.textContent = "";
    (i.subscriptions || []).forEach(function (s) {
      var li = L.el("li");
      li.appendChild(L.el("code", null, s.filter));
      li.appendChild(L.el("span", "lab-tag", "QoS " + s.qos));
      var b = L.el("button", "lab-icon small", "✕");
      b.type = "button";
      b.setAttribute("aria-label", "Unsubscribe from " + s.filter);
      b.title = "Unsubscribe";
      b.disabled = !live;
      b.addEventListener("click", function () {
        L.api("POST", clientURL(i.id, "unsubscribe"), { filter: s.filter }).then(function (res) {
          if (res.ok) L.upsertClient(res.body.client); else L.showErrors(L.$('[data-form="subscribe"]', card), res);
        });
      });
      li.appendChild(b);
      subs.appendChild(li);
    });
    L.$('[data-f="count"]', card).textContent = i.received ? "(" + i.received + ")" : "";
  }

  L.addMessage = function (id, m, live) {
    var c = clients[id];
    if (!c || m.seq <= c.lastSeq) return;
    c.lastSeq = m.seq;
    var list = L.$('[data-f="msgs"]', c.el);
    var li = L.el("li", "lab-msg" + (m.retain ? " retained" : ""));
    var head = L.el("div", "lab-line-head");
    head.appendChild(L.el("time", "lab-time", L.clock(m.time)));
    head.appendChild(L.el("code", "lab-topic", m.topic));
    head.appendChild(L.el("span", "lab-tag", "QoS " + m.qos));
    if (m.retain) head.appendChild(L.el("span", "lab-tag retain", "retained"));
    if (m.dup) head.appendChild(L.el("span", "lab-tag", "dup"));
    li.appendChild(head);
    var p = m.binary ? { text: "0x" + m.payload + " (binary, " + m.size + " bytes)" } : L.prettyPayload(m.payload);
    li.appendChild(L.el(p.json ? "pre" : "div", "lab-payload" + (p.empty ? " empty" : ""), p.text));
    list.insertBefore(li, list.firstChild); // newest first
    while (list.children.length > MSG_MAX) list.removeChild(list.lastChild);
    if (live) {
      c.info.received = Math.max(c.info.received || 0, m.seq);
      L.$('[data-f="count"]', c.el).textContent = "(" + c.info.received + ")";
      li.classList.add("fresh");
    }
  };

  function wireClient(c) {
    var card = c.el;
    function act(name, method) {
      L.$('[data-act="' + name + '"]', card).addEventListener("click", function (ev) {
        var b = ev.currentTarget;
        b.disabled = true;
        var id = c.info.id;
        var url = name === "remove" ? clientURL(id) : clientURL(id, name);
        L.api(method || "POST", url).then(function (res) {
          b.disabled = false;
          if (name === "remove" && res.ok) { L.removeClient(id); return; }
          if (res.ok && res.body.client) L.upsertClient(res.body.client);
          if (!res.ok) { c.info.reason = res.body.error; renderClient(c); }
        });
      });
    }
    act("connect");
    act("disconnect");
    act("drop");
    act("remove", "DELETE");
    var sub = L.$('[data-form="subscribe"]', card);
    sub.addEventListener("submit", function (ev) {
      ev.preventDefault();
      L.clearErrors(sub);
      L.busy(sub, true);
      L.api("POST", clientURL(c.info.id, "subscribe"), { filter: sub.filter.value.trim(), qos: Number(sub.qos.value) }).then(function (res) {
        L.busy(sub, false);
        if (!res.ok) { L.showErrors(sub, res); return; }
        L.upsertClient(res.body.client);
      });
    });
    var pub = L.$('[data-form="publish"]', card);
    pub.addEventListener("submit", function (ev) {
      ev.preventDefault();
      L.clearErrors(pub);
      L.busy(pub, true);
      L.api("POST", clientURL(c.info.id, "publish"), {
        topic: pub.topic.value.trim(), payload: pub.payload.value, qos: Number(pub.qos.value), retain: pub.retain.checked
      }).then(function (res) {
        L.busy(pub, false);
        renderClient(c);
        if (!res.ok) { L.showErrors(pub, res); return; }
        var out = pub.querySelector("[data-error]");
        out.textContent = "";
        L.flash(pub.querySelector("button[type=submit]"), "Published ✓");
      });
    });
  }

  function suggestClientID() {
    var form = L.$('[data-form="open"]');
    if (form.client_id.dataset.touched) return;
    var used = {};
    Object.keys(clients).forEach(function (id) { used[clients[id].info.client_id] = true; });
    for (var n = 1; n < 100; n++) {
      if (!used["web-" + n]) { form.client_id.value = "web-" + n; return; }
    }
  }

  L.wireOpenForm = function () {
    var form = L.$('[data-form="open"]');
    form.client_id.addEventListener("input", function () { form.client_id.dataset.touched = "1"; });
    suggestClientID();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      L.clearErrors(form);
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
      L.busy(form, true);
      L.api("POST", "/api/lab/clients", body).then(function (res) {
        L.busy(form, false);
        if (res.body && res.body.client) L.upsertClient(res.body.client);
        if (!res.ok || res.body.error) { L.showErrors(form, res); return; }
        delete form.client_id.dataset.touched;
        form["will.topic"].value = "";
        form["will.payload"].value = "";
        suggestClientID();
        var card = clients[res.body.client.id].el;
        var f = card.querySelector('[name="filter"]');
        if (f) f.focus();
      });
    });
  };

})(window.courselabLab);
