// The Faults tab: break the learner's own broker on purpose (a lost
// acknowledgement, slow deliveries, a cut connection, a restart, an outage)
// and watch, in a log of its own, what the broker and the clients did
// about it: the faults with the coach's words, connections, and the
// messages sent again (DUP=1).
(function (L) {
  "use strict";
  var el = L.el;
  var FAULT_MAX = 200; // lines kept in the tab
  var known = new Set(); // client ids seen, offered in the client id fields

  // CALLS says, per form, where it posts, what it sends and what to say
  // when it worked.
  var CALLS = {
    "fault-withhold": {
      url: "/api/lab/faults/withhold-ack",
      body: function (f) { return { client_id: f.elements.client_id.value.trim(), from: f.elements.from.value, cut: f.elements.cut.checked }; },
      said: function (f) {
        var id = f.elements.client_id.value.trim();
        return f.elements.from.value === "broker"
          ? "Armed: publish a QoS 1 message from " + id + " to see the broker's PUBACK lost."
          : "Armed: publish a QoS 1 message that " + id + " receives to see its PUBACK lost.";
      }
    },
    "fault-delay": {
      url: "/api/lab/faults/delay",
      body: function (f) { return { client_id: f.elements.client_id.value.trim(), ms: num(f.elements.ms), seconds: num(f.elements.seconds) }; },
      said: function (f) { return "Deliveries to " + f.elements.client_id.value.trim() + " now wait " + f.elements.ms.value + " ms."; }
    },
    "fault-drop": {
      url: "/api/lab/faults/drop",
      body: function (f) { return { client_id: f.elements.client_id.value.trim() }; },
      said: function (f) { return "The connection of " + f.elements.client_id.value.trim() + " was cut."; }
    },
    "fault-restart": {
      url: "/api/lab/faults/restart",
      body: function () { return {}; },
      said: function (f, b) {
        var r = b.restart || {};
        return "Restarted: " + r.disconnected + " disconnected, " + r.sessions + " persistent sessions kept.";
      }
    },
    "fault-unreachable": {
      url: "/api/lab/faults/unreachable",
      body: function (f) { return { seconds: num(f.elements.seconds) }; },
      said: function (f) { return "Unreachable for " + f.elements.seconds.value + " s: connections closed, new ones refused."; }
    }
  };

  // num reads a number field; an empty or unreadable one is sent as it is,
  // for the server to say what it expects.
  function num(input) {
    var v = input.value.trim();
    if (v === "") return undefined;
    var n = Number(v);
    return isNaN(n) ? v : n;
  }

  // relevant: the lines that tell a fault's story.
  function relevant(e) {
    if (e.kind === "fault" || e.kind === "connect" || e.kind === "disconnect" || e.kind === "session-resumed") return true;
    return (e.kind === "deliver" || e.kind === "publish") && !!(e.detail && e.detail.dup);
  }

  L.faultsEvent = function (e) {
    if (e.kind === "connect" && e.client_id && !known.has(e.client_id) && known.size < 200) {
      known.add(e.client_id);
      var o = document.createElement("option");
      o.value = e.client_id;
      L.$("[data-fault-clients]").appendChild(o);
    }
    if (!relevant(e)) return;
    var list = L.$("[data-fault-log]");
    if (list.querySelector('[data-seq="' + Number(e.seq) + '"]')) return;
    var pane = document.getElementById("lab-faults");
    var atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    list.appendChild(L.logLine(e));
    while (list.children.length > FAULT_MAX) list.removeChild(list.firstChild);
    L.$("[data-fault-empty]").hidden = true;
    if (atBottom && L.currentTab() === "lab-tab-faults") pane.scrollTop = pane.scrollHeight;
  };

  L.resetFaults = function () {
    L.$("[data-fault-log]").textContent = "";
    L.$("[data-fault-empty]").hidden = false;
  };

  L.wireFaults = function () {
    Object.keys(CALLS).forEach(function (name) {
      var form = L.$('[data-form="' + name + '"]');
      var call = CALLS[name];
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        L.clearErrors(form);
        L.$("[data-fault-said]").textContent = "";
        L.busy(form, true);
        L.api("POST", call.url, call.body(form)).then(function (res) {
          L.busy(form, false);
          if (!res.ok) { L.showErrors(form, res); return; }
          L.$("[data-fault-said]").textContent = call.said(form, res.body);
        });
      });
    });
  };
})(window.courselabLab);
