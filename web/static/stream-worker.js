// One live event stream shared by every tab of this browser that shows the
// same stream URL (the worker is named after it). A browser allows six
// HTTP/1.1 connections per host: with one stream per tab, the seventh tab
// would never load. The worker replays what it received to each new tab and
// closes the stream when the last tab leaves.
"use strict";

var BUFFER_MAX = 1500; // events kept for tabs that join later

var stream = null; // {url, events, resets, es, buffer, live, superseded, lastId, timer}
var ports = [];

self.onconnect = function (e) {
  var port = e.ports[0];
  port.onmessage = function (m) { handle(port, m.data || {}); };
  port.start();
};

function handle(port, d) {
  if (d.type === "open") {
    if (!stream) {
      stream = { url: d.url, events: d.events || [], resets: d.resets || {}, es: null, buffer: [], live: false, superseded: false, lastId: "", timer: 0 };
    }
    if (ports.indexOf(port) < 0) ports.push(port);
    port.postMessage({ type: "replay", events: stream.buffer });
    port.postMessage(statusOf());
    if (!stream.es && !stream.timer) connect();
  } else if (d.type === "close") {
    ports = ports.filter(function (p) { return p !== port; });
    if (ports.length === 0) stop();
  } else if (d.type === "wake") {
    // A tab is being used again: a stream ended by a newer one elsewhere
    // comes back.
    if (stream && !stream.es) { clearTimeout(stream.timer); stream.timer = 0; connect(); }
  }
}

function statusOf() {
  return { type: "status", live: !!(stream && stream.live), superseded: !!(stream && stream.superseded) };
}

function broadcast(msg) {
  ports.forEach(function (p) { p.postMessage(msg); });
}

function stop() {
  if (!stream) return;
  clearTimeout(stream.timer);
  if (stream.es) stream.es.close();
  stream = null;
}

function record(type, data) {
  var drop = stream.resets[type];
  if (drop) stream.buffer = stream.buffer.filter(function (x) { return drop.indexOf(x.type) < 0; });
  stream.buffer.push({ type: type, data: data });
  if (stream.buffer.length > BUFFER_MAX) stream.buffer.splice(0, stream.buffer.length - BUFFER_MAX);
  broadcast({ type: "event", event: { type: type, data: data } });
}

function connect() {
  var s = stream;
  s.timer = 0;
  var url = s.url;
  if (s.lastId) url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(s.lastId);
  var es = new EventSource(url);
  s.es = es;
  es.onopen = function () { s.live = true; s.superseded = false; broadcast(statusOf()); };
  es.onerror = function () {
    s.live = false;
    broadcast(statusOf());
    if (es.readyState === EventSource.CLOSED && stream === s) {
      // Refused (a 429 or 503): EventSource gives up; try again later.
      s.es = null;
      s.timer = setTimeout(connect, 5000);
    }
  };
  s.events.forEach(function (name) {
    es.addEventListener(name, function (ev) {
      if (ev.lastEventId) s.lastId = ev.lastEventId;
      record(name, ev.data);
    });
  });
  es.addEventListener("superseded", function () {
    // The server keeps a few streams per person and ended this one for a
    // newer one: stay closed until a tab is used again.
    es.close();
    s.es = null;
    s.live = false;
    s.superseded = true;
    broadcast(statusOf());
  });
}
