// courselab.openStream: a live event stream that never starves the page's
// other requests. Tabs of one browser share one stream through a
// SharedWorker (stream-worker.js); where there is none, each page holds its
// own stream only while it is shown. Either way a page closes its part on
// pagehide (the back/forward cache must not keep streams open) and opens it
// again on pageshow.
(function () {
  "use strict";
  var script = document.currentScript;
  var workerURL = script && script.getAttribute("data-worker");
  window.courselab = window.courselab || {};

  // openStream calls onEvent(type, data) for each event named in
  // opts.events and onStatus({live, superseded}) when the connection
  // changes. opts.resets maps an event to the earlier events it makes
  // obsolete (a tab joining later is not replayed those).
  window.courselab.openStream = function (url, opts, onEvent, onStatus) {
    var port = null, es = null, lastId = "", superseded = false;
    var shared = !!(window.SharedWorker && workerURL);

    function open() {
      if (port || es) return;
      if (shared) {
        try {
          var w = new SharedWorker(workerURL, { name: "courselab stream " + url });
          port = w.port;
          port.onmessage = function (m) {
            var d = m.data || {};
            if (d.type === "event") onEvent(d.event.type, d.event.data);
            else if (d.type === "replay") d.events.forEach(function (e) { onEvent(e.type, e.data); });
            else if (d.type === "status") { superseded = d.superseded; onStatus(d); }
          };
          port.start();
          port.postMessage({ type: "open", url: url, events: opts.events, resets: opts.resets || {} });
          return;
        } catch (e) {
          shared = false; // blocked (e.g. by privacy settings): one stream per shown page
        }
      }
      if (document.visibilityState === "hidden") return;
      var u = url;
      if (lastId) u += (u.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(lastId);
      es = new EventSource(u);
      var mine = es;
      es.onopen = function () { superseded = false; onStatus({ live: true, superseded: false }); };
      es.onerror = function () {
        onStatus({ live: false, superseded: false });
        if (mine.readyState === EventSource.CLOSED && es === mine) {
          es = null;
          setTimeout(open, 5000); // refused: try again later
        }
      };
      opts.events.forEach(function (name) {
        es.addEventListener(name, function (ev) {
          if (ev.lastEventId) lastId = ev.lastEventId;
          onEvent(name, ev.data);
        });
      });
      es.addEventListener("superseded", function () {
        close();
        superseded = true;
        onStatus({ live: false, superseded: true });
      });
    }

    function close() {
      if (port) { port.postMessage({ type: "close" }); port.close(); port = null; }
      if (es) { es.close(); es = null; }
    }

    // wake brings back a stream that a newer one elsewhere superseded.
    function wake() {
      if (port) port.postMessage({ type: "wake" });
      else if (!es) open();
    }

    window.addEventListener("pagehide", close);
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) open(); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { if (superseded || !shared) wake(); }
      else if (!shared) close();
    });
    window.addEventListener("focus", function () { if (superseded) wake(); });
    open();
    return { wake: wake };
  };
})();
