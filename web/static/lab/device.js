// The Device tab: the simulated device's value stream, and a form that
// pushes one value through the cloud API as the course's curl line does.
(function (L) {
  "use strict";

  function apiBase() { return "/api/v2"; }

  L.loadDevices = function () {
    return L.api("GET", apiBase() + "/devices").then(function (res) {
      if (!res.ok) return;
      L.state.devices = res.body || [];
      L.$$("[data-devices]").forEach(function (sel) {
        sel.textContent = "";
        L.state.devices.forEach(function (d) {
          var o = L.el("option", null, d.name && d.name !== d.id ? d.id + " — " + d.name : d.id);
          o.value = d.id;
          sel.appendChild(o);
        });
      });
      fillPoints();
      simStatus();
    });
  };

  function fillPoints() {
    var form = L.$('[data-form="push"]');
    var d = L.state.devices.filter(function (x) { return x.id === form.device.value; })[0];
    var sel = form.point;
    sel.textContent = "";
    if (!d) return;
    [["sensors", "Sensors"], ["actuators", "Actuators"]].forEach(function (k) {
      if (!d[k[0]] || !d[k[0]].length) return;
      var g = L.el("optgroup");
      g.label = k[1];
      d[k[0]].forEach(function (p) {
        var o = L.el("option", null, p.id + (p.name ? " — " + p.name : ""));
        o.value = k[0] + "/" + p.id;
        g.appendChild(o);
      });
      sel.appendChild(g);
    });
    L.updateCurl();
  }

  // pushValue reads the value field as JSON (25, true, "on") or else text.
  function pushValue(raw) {
    var s = raw.trim();
    try { var v = JSON.parse(s); if (v === null || typeof v !== "object") return v; } catch (e) { /* text */ }
    return s;
  }

  L.updateCurl = function () {
    var form = L.$('[data-form="push"]');
    var pre = L.$("[data-push-curl]");
    if (!L.state.details || !form.point.value) { pre.textContent = ""; return; }
    var d = L.state.details;
    var body = JSON.stringify({ value: pushValue(form.value.value) });
    var line = "curl -X POST " + d.api_base + "/devices/" + form.device.value + "/" + form.point.value + "/value" +
      (d.token ? ' -H "Authorization: Bearer ' + d.token + '"' : "") +
      ' -H "Content-Type: application/json" -d ' + L.shellQuote(body);
    pre.textContent = line;
    var box = pre.parentElement;
    var old = box.querySelector(".lab-copy");
    if (!old) box.appendChild(L.copyButton(function () { return pre.textContent; }, "the curl line"));
  };

  function simStatus() {
    var form = L.$('[data-form="sim"]');
    if (!form.device.value) return;
    L.api("GET", apiBase() + "/devices/" + encodeURIComponent(form.device.value) + "/simulation").then(function (res) {
      if (res.ok) showSim(res.body);
    });
  }

  function showSim(s) {
    var out = L.$("[data-sim-state]");
    out.textContent = s.running ? "Running" + (s.every_ms ? " every " + s.every_ms / 1000 + " s" : "") : "Stopped";
    out.classList.toggle("running", !!s.running);
  }

  L.wireDevice = function () {
    var sim = L.$('[data-form="sim"]');
    sim.device.addEventListener("change", simStatus);
    sim.addEventListener("submit", function (ev) {
      ev.preventDefault();
      L.clearErrors(sim);
      var every = Math.round(Number(sim.every.value || 1) * 1000);
      L.busy(sim, true);
      L.api("POST", apiBase() + "/devices/" + encodeURIComponent(sim.device.value) + "/simulation", { every_ms: every }).then(function (res) {
        L.busy(sim, false);
        if (!res.ok) { L.showErrors(sim, res); return; }
        showSim(res.body);
      });
    });
    L.$("[data-sim-stop]").addEventListener("click", function () {
      L.clearErrors(sim);
      L.api("DELETE", apiBase() + "/devices/" + encodeURIComponent(sim.device.value) + "/simulation").then(function (res) {
        if (!res.ok) { L.showErrors(sim, res); return; }
        showSim(res.body);
      });
    });

    var push = L.$('[data-form="push"]');
    push.device.addEventListener("change", fillPoints);
    push.point.addEventListener("change", L.updateCurl);
    push.value.addEventListener("input", L.updateCurl);
    push.addEventListener("submit", function (ev) {
      ev.preventDefault();
      L.clearErrors(push);
      var ok = push.querySelector("[data-ok]");
      ok.textContent = "";
      if (!push.point.value) { L.showErrors(push, { body: { error: "Choose a sensor or actuator.", field: "point" } }); return; }
      L.busy(push, true);
      var url = apiBase() + "/devices/" + encodeURIComponent(push.device.value) + "/" + push.point.value + "/value";
      L.api("POST", url, { value: pushValue(push.value.value) }).then(function (res) {
        L.busy(push, false);
        if (!res.ok) { L.showErrors(push, { body: { error: res.body.error || res.body.message, field: "value" } }); return; }
        ok.textContent = "Sent " + JSON.stringify(res.body.value) + " to " + push.device.value + "/" + push.point.value + ".";
      });
    });
  };
})(window.courselabLab);
