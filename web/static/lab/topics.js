// The Topics tab: the sandbox's topics as a tree, loaded once from
// /api/lab/topics and then kept up to date from the live log's publish
// lines (never asking for the tree again). A topic shows its last payload,
// whether a retained message stands there, its count and rate, last QoS
// and publisher; a retained message can be cleared from here.
(function (L) {
  "use strict";

  var RATE_MS = 60000;
  var nodes = {};      // topic path → node (inner levels too)
  var loaded = false;  // the tree came from the server
  var pending = [];    // publish lines that arrived before it
  var treeSeq = 0;     // the last journal line the loaded tree includes
  var selected = null;

  // node returns the tree node of path, creating it and its parents.
  function node(path) {
    if (nodes[path]) return nodes[path];
    var cut = path.lastIndexOf("/");
    var parentList = cut < 0 ? L.$("[data-topics]") : ensureList(node(path.slice(0, cut)));
    var n = { path: path, name: cut < 0 ? path : path.slice(cut + 1), data: null, times: [], list: null };
    n.li = L.el("li", "lab-topic-node");
    n.li.dataset.topic = path;
    n.row = L.el("button", "lab-topic-row");
    n.row.type = "button";
    n.toggle = L.el("span", "lab-topic-toggle", "");
    n.toggle.setAttribute("aria-hidden", "true");
    n.row.appendChild(n.toggle);
    n.row.appendChild(L.el("span", "lab-topic-name", n.name === "" ? "(empty level)" : n.name));
    n.meta = L.el("span", "lab-topic-meta", "");
    n.row.appendChild(n.meta);
    n.row.addEventListener("click", function () {
      if (n.list && !n.data) { setOpen(n, n.list.hidden); return; }
      if (n.list) setOpen(n, true);
      select(n);
    });
    n.li.appendChild(n.row);
    parentList.appendChild(n.li);
    nodes[path] = n;
    return n;
  }

  function ensureList(n) {
    if (!n.list) {
      n.list = L.el("ul", "lab-topic-list");
      n.li.appendChild(n.list);
      n.toggle.textContent = "▾";
      n.row.setAttribute("aria-expanded", "true");
    }
    return n.list;
  }

  function setOpen(n, open) {
    n.list.hidden = !open;
    n.toggle.textContent = open ? "▾" : "▸";
    n.row.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function rate(n, now) {
    while (n.times.length && now - n.times[0] > RATE_MS) n.times.shift();
    return n.times.length;
  }

  // paint shows a topic's figures on its row, and in the detail if selected.
  function paint(n) {
    var d = n.data;
    if (!d) return;
    n.li.classList.toggle("retained", !!d.retained);
    n.meta.textContent = (d.retained ? "retained · " : "") + d.count + " msg" + (d.count === 1 ? "" : "s");
    if (selected === n) showDetail(n);
  }

  function showDetail(n) {
    var d = n.data, box = L.$("[data-topic-detail]");
    box.hidden = false;
    box.querySelector("[data-topic-name]").textContent = n.path;
    var dl = box.querySelector("[data-topic-facts]");
    dl.textContent = "";
    [["Messages", String(d.count)], ["Rate", rate(n, Date.now()) + " in the last minute"],
     ["Retained", d.retained ? "yes: a new subscriber gets the retained message at once" : "no"],
     ["Last QoS", d.last_publisher ? String(d.last_qos) : "–"], ["Last publisher", d.last_publisher || "–"],
     ["Last at", d.last_at ? L.clock(d.last_at) : "–"]].forEach(function (f) {
      dl.appendChild(L.el("dt", null, f[0]));
      dl.appendChild(L.el("dd", null, f[1]));
    });
    var p = L.prettyPayload(d.last_payload);
    var pre = box.querySelector("[data-topic-payload]");
    pre.textContent = d.last_publisher ? p.text : "(published before the history kept: only its retained message is known)";
    var coach = box.querySelector("[data-topic-coach]");
    coach.textContent = d.coach || "";
    coach.hidden = !d.coach;
    box.querySelector("[data-topic-clear]").hidden = !d.retained;
    var q = "filter=" + encodeURIComponent(n.path);
    box.querySelector("[data-topic-csv]").href = "/api/lab/history?" + q + "&format=csv";
    box.querySelector("[data-topic-jsonl]").href = "/api/lab/history?" + q + "&format=jsonl";
  }

  function select(n) {
    if (selected) selected.row.classList.remove("selected");
    selected = n;
    n.row.classList.add("selected");
    L.$("[data-topic-said]").textContent = "";
    showDetail(n);
  }

  // set records a topic's figures from the server.
  function set(t) {
    var n = node(t.topic);
    n.data = t;
    n.times = [];
    var now = Date.now();
    for (var i = 0; i < t.rate; i++) n.times.push(now); // the server counted them in the last minute
    paint(n);
  }

  // apply updates the tree with one journal line: O(1) but for a new
  // topic's parents, and nothing is asked of the server.
  function apply(e) {
    if (e.kind !== "publish" || !e.topic) return;
    var n = node(e.topic);
    var d = n.data || { topic: e.topic, count: 0, retained: false };
    d.count++;
    d.last_payload = e.payload || "";
    d.last_qos = e.qos || 0;
    d.last_publisher = e.platform ? "courselab" : e.client_id;
    d.last_at = e.time;
    d.coach = (e.detail && e.detail.coach) || "";
    if (e.retain) d.retained = !!e.payload; // an empty retained message clears it
    n.data = d;
    n.times.push(Date.now());
    paint(n);
    filterNode(n);
    L.$("[data-topics-empty]").hidden = true;
  }

  L.treeEvent = function (e) {
    if (!loaded) { pending.push(e); return; }
    if (e.seq > treeSeq) apply(e);
  };

  L.resetTree = function () {
    nodes = {};
    selected = null;
    L.$("[data-topics]").textContent = "";
    L.$("[data-topic-detail]").hidden = true;
    L.$("[data-topics-empty]").hidden = false;
  };

  function filterNode(n) {
    var f = L.$("[data-topics-filter]").value.trim();
    n.li.hidden = !!n.data && !L.topicMatches(f, n.path) && !(n.list && n.list.querySelector("li:not([hidden])"));
  }

  function refilter() {
    // Deepest first, so that a parent sees which of its children stay.
    Object.keys(nodes).sort(function (a, b) { return b.length - a.length; }).forEach(function (k) { filterNode(nodes[k]); });
  }

  L.wireTopics = function () {
    L.$("[data-topics-filter]").addEventListener("input", refilter);
    L.$("[data-topic-clear]").addEventListener("click", function () {
      if (!selected) return;
      var said = L.$("[data-topic-said]");
      L.api("POST", "/api/lab/topics/clear-retained", { topic: selected.path }).then(function (res) {
        said.textContent = res.ok ? res.body.message : (res.body.error || "The retained message could not be cleared; try again.");
        said.className = "lab-note" + (res.ok ? "" : " field-error");
      });
    });
    L.api("GET", "/api/lab/topics").then(function (res) {
      if (!res.ok) { L.$("[data-topics-empty]").textContent = res.body.error || "The topics could not be loaded."; return; }
      (res.body.topics || []).forEach(set);
      treeSeq = res.body.seq || 0;
      loaded = true;
      L.$("[data-topics-empty]").hidden = (res.body.topics || []).length > 0;
      pending.forEach(L.treeEvent);
      pending = [];
    });
  };
})(window.courselabLab);
