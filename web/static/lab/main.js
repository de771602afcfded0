// The lab console's start: wire the tabs, fetch the learner's lab, then
// follow the live stream (shared with the browser's other tabs).
(function (L) {
  "use strict";

  var STREAM_EVENTS = ["clients", "client", "message", "removed", "journal", "revised", "reset", "closed"];

  function onEvent(type, data) {
    var d = JSON.parse(data);
    switch (type) {
      case "journal": L.addLog(d); L.treeEvent(d); L.faultsEvent(d); break;
      case "revised": L.reviseLog(d); break; // a line's QoS exchange moved on
      case "reset": L.resetLog(); L.resetTree(); L.resetFaults(); break; // the sandbox is a new one
      case "clients": L.setClients(d); break;
      case "client": L.upsertClient(d.client); break;
      case "message": L.addMessage(d.id, d.message, true); break;
      case "removed": L.removeClient(d.id); break;
    }
  }

  function onStatus(st) {
    var status = L.$("[data-lab-status]");
    var dot = document.querySelector("[data-lab-dot]");
    status.textContent = st.live ? "live" : st.superseded ? "paused: live in another window" : "reconnecting…";
    status.className = "lab-status" + (st.live ? " live" : "");
    if (dot) dot.classList.toggle("live", !!st.live);
  }

  document.addEventListener("DOMContentLoaded", function () {
    L.panel = document.querySelector("[data-lab]");
    if (!L.panel || !window.fetch || !window.EventSource || !window.courselab || !window.courselab.openStream) return;
    L.course = L.panel.getAttribute("data-course");
    L.wirePanel();
    L.wireLog();
    L.wireOpenForm();
    L.wireDevice();
    L.wireChecks();
    L.wireTopics();
    L.wireFaults();
    L.api("GET", "/api/lab").then(function (res) {
      if (!res.ok) { L.$("[data-lab-status]").textContent = res.body.error || "lab unavailable"; return; }
      L.renderDetails(res.body);
      L.loadDevices();
      // "clients" replaces what the console knew of its clients; "reset"
      // starts a new journal: a tab joining later needs neither's past.
      var stream = window.courselab.openStream("/api/lab/events", {
        events: STREAM_EVENTS,
        resets: { clients: ["clients", "client", "message", "removed"], reset: ["journal", "revised", "reset"] }
      }, onEvent, onStatus);
      L.$("[data-lab-status]").addEventListener("click", stream.wake);
    });
  });
})(window.courselabLab);
