// The Topics tab: the sandbox's topics as a tree, loaded once from
// /api/lab/topics and then kept up to date from the live log's publish
// lines (never asking for the tree again). A topic shows its last payload,
// whether a retained message stands there, its count and rate, last QoS
// and publisher; a retained message can be cleared from here. Rows are
// built when their level first shows (two levels open by themselves), so
// the tab opens at once with a thousand topics; a live update and the
// filter work on every topic, shown or not.
(function (L) {
  "use strict";

  var RATE_MS = 60000;
  // OPEN_DEPTH: levels down to this one open by themselves; deeper ones
  // wait for a click (or a filter) before their rows are built, so that a
  // thousand topics cost a few dozen rows until the learner looks closer.
  var OPEN_DEPTH = 2;
  var root, nodes;     // the tree of every level known, and path → node
  var loaded = false;  // the tree came from the server
  var pending = [];    // publish lines that arrived before it
  var treeSeq = 0;     // the last journal line the loaded tree includes
  var selected = null;
  var filter = "";     // the filter typed, "" for none

  function emptyTree() {
    root = { path: "", depth: 0, kids: [], open: true, list: null, topics: 0 };
    nodes = {};
  }
  emptyTree();

  // node returns the node of path, creating it and its parents. Only the
  // model is made here; a row is built when its parent's list shows.
  function node(path) {
    if (nodes[path]) return nodes[path];
    var cut = path.lastIndexOf("/");
    var parent = cut < 0 ? root : node(path.slice(0, cut));
    var n = { path: path, name: cut < 0 ? path : path.slice(cut + 1), parent: parent, depth: parent.depth + 1,
              data: null, times: [], kids: [], open: parent.depth + 1 <= OPEN_DEPTH, li: null, list: null, topics: 0, visible: true };
    parent.kids.push(n);
    nodes[path] = n;
    if (filter) n.visible = false; // reveal decides once its data is known
    if (parent === root) {
      if (n.visible) render(n);
    } else if (parent.li) {
      if (isOpen(parent)) showKids(parent);
      paintToggle(parent);
    }
    return n;
  }

  // isOpen: whether n's children show. A filter opens the way to what it
  // matches and nothing else.
  function isOpen(n) {
    if (n === root) return true;
    return filter ? n.kids.some(function (k) { return k.visible; }) : n.open;
  }

  // shown: whether n's children show right now.
  function shown(n) { return !!n.list && !n.list.hidden; }

  function matches(n) { return !!n.data && L.topicMatches(filter, n.path); }

  // render builds n's row in its parent's list, and its children's rows
  // when it is open.
  function render(n) {
    n.li = L.el("li", "lab-topic-node");
    n.li.dataset.topic = n.path;
    n.li.hidden = !n.visible;
    n.row = L.el("button", "lab-topic-row");
    n.row.type = "button";
    n.toggle = L.el("span", "lab-topic-toggle", "");
    n.toggle.setAttribute("aria-hidden", "true");
    n.row.appendChild(n.toggle);
    n.row.appendChild(L.el("span", "lab-topic-name", n.name === "" ? "(empty level)" : n.name));
    n.meta = L.el("span", "lab-topic-meta", "");
    n.row.appendChild(n.meta);
    n.row.addEventListener("click", function () {
      if (n.kids.length && !n.data) { setOpen(n, !shown(n)); return; }
      if (n.kids.length) setOpen(n, true);
      select(n);
    });
    n.li.appendChild(n.row);
    listOf(n.parent).appendChild(n.li);
    paint(n);
    if (n.kids.length && isOpen(n)) showKids(n);
    paintToggle(n);
  }

  function listOf(n) {
    if (n === root) return L.$("[data-topics]");
    if (!n.list) {
      n.list = L.el("ul", "lab-topic-list");
      n.li.appendChild(n.list);
    }
    return n.list;
  }

  // showKids builds the rows of n's children not built yet (those a filter
  // keeps), and shows them.
  function showKids(n) {
    var list = listOf(n);
    n.kids.forEach(function (k) { if (!k.li && k.visible) render(k); });
    list.hidden = false;
  }

  function paintToggle(n) {
    if (!n.li || !n.kids.length) return;
    var open = shown(n);
    n.toggle.textContent = open ? "▾" : "▸";
    n.row.setAttribute("aria-expanded", open ? "true" : "false");
  }

  // setOpen opens or closes n by hand; under a filter the choice lasts
  // until the filter changes.
  function setOpen(n, open) {
    if (!filter) n.open = open;
    if (open) showKids(n); else if (n.list) n.list.hidden = true;
    paintToggle(n);
  }

  function rate(n, now) {
    while (n.times.length && now - n.times[0] > RATE_MS) n.times.shift();
    return n.times.length;
  }

  // paint shows a topic's figures on its row, and in the detail if
  // selected; a level that is no topic itself counts the topics below it.
  function paint(n) {
    if (!n.li) return;
    var d = n.data;
    if (!d) {
      n.meta.textContent = n.topics + " topic" + (n.topics === 1 ? "" : "s");
      return;
    }
    n.li.classList.toggle("retained", !!d.retained);
    n.meta.textContent = (d.retained ? "retained · " : "") + d.count + " msg" + (d.count === 1 ? "" : "s");
    if (selected === n) showDetail(n);
  }

  // became records that n is a topic now: each level above counts it.
  function became(n) {
    for (var p = n.parent; p && p !== root; p = p.parent) { p.topics++; paint(p); }
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
    if (!n.data) became(n);
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
    if (!n.data) became(n);
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
    if (filter) reveal(n);
    L.$("[data-topics-empty]").hidden = true;
  }

  L.treeEvent = function (e) {
    if (!loaded) { pending.push(e); return; }
    if (e.seq > treeSeq) apply(e);
  };

  L.resetTree = function () {
    emptyTree();
    selected = null;
    L.$("[data-topics]").textContent = "";
    L.$("[data-topic-detail]").hidden = true;
    L.$("[data-topics-empty]").hidden = false;
  };

  // reveal shows n and the way to it when the filter matches it: O(depth),
  // for a live update under a filter.
  function reveal(n) {
    if (!matches(n)) return;
    var way = [];
    for (var p = n; p !== root; p = p.parent) { p.visible = true; way.unshift(p); }
    way.forEach(function (p, i) {
      if (!p.li) { if (p.parent === root) render(p); else showKids(p.parent); }
      p.li.hidden = false;
      if (i < way.length - 1) showKids(p);
      paintToggle(p);
    });
  }

  // refilter marks what the filter keeps (a matching topic, or a level
  // with one below it) across every topic, built or not, then builds and
  // shows the rows it keeps and hides the others.
  function refilter() {
    filter = L.$("[data-topics-filter]").value.trim();
    (function mark(n) {
      var any = false;
      n.kids.forEach(function (k) { if (mark(k)) any = true; });
      n.visible = !filter || any || matches(n);
      return n.visible;
    })(root);
    (function show(n) {
      n.kids.forEach(function (k) { if (k.li) k.li.hidden = !k.visible; });
      if (n === root) n.kids.forEach(function (k) { if (!k.li && k.visible) render(k); });
      else if (isOpen(n)) showKids(n);
      else if (n.list) n.list.hidden = true;
      paintToggle(n);
      n.kids.forEach(function (k) { if (k.li) show(k); });
    })(root);
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
