// The console's frame: beside the text from 900 px up (a split view with a
// divider the learner drags, or moves with the arrow keys), a drawer over
// the text on narrower screens; and its tabs.
(function (L) {
  "use strict";

  var split = window.matchMedia("(min-width: 900px)");
  var roomy = window.matchMedia("(min-width: 1200px)");
  var WIDTH_KEY = "courselab.lab.width", OPEN_KEY = "courselab.lab.open";
  var MIN_W = 320;

  function store(key, v) { try { localStorage.setItem(key, v); } catch (e) { /* private mode */ } }
  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }

  function layout() { return document.querySelector(".course-layout"); }

  function setOpen(open, focus) {
    var toggle = document.querySelector("[data-lab-toggle]");
    L.panel.classList.toggle("open", open);
    var lay = layout();
    if (lay) lay.classList.toggle("lab-collapsed", !open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.hidden = open; // the panel's own ✕ closes it
    document.body.classList.toggle("lab-drawer-open", open && !split.matches);
    if (split.matches) store(OPEN_KEY, open ? "1" : "0");
    // Beside the console on a mid-size screen the section list sits above
    // the text: fold it so the exercise comes first.
    var toc = document.querySelector(".toc");
    if (toc && open && split.matches && !roomy.matches) toc.open = false;
    if (open && focus) { var t = L.$('[role=tab][aria-selected="true"]'); if (t) t.focus(); }
    if (!open && focus) toggle.focus();
    sizeDivider();
  }

  // ---- the divider -----------------------------------------------------

  function maxWidth() { return Math.max(MIN_W, Math.round(window.innerWidth * (roomy.matches ? 0.6 : 0.55))); }

  function setWidth(w, save) {
    var lay = layout();
    if (!lay) return;
    w = Math.round(Math.min(maxWidth(), Math.max(MIN_W, w)));
    lay.style.setProperty("--lab-w", w + "px");
    if (save) store(WIDTH_KEY, String(w));
    sizeDivider();
  }

  function sizeDivider() {
    var d = L.$("[data-lab-divider]");
    if (!d) return;
    d.setAttribute("aria-valuemin", String(MIN_W));
    d.setAttribute("aria-valuemax", String(maxWidth()));
    d.setAttribute("aria-valuenow", String(Math.round(L.panel.getBoundingClientRect().width)));
  }

  function wireDivider() {
    var d = L.$("[data-lab-divider]");
    var saved = Number(load(WIDTH_KEY));
    if (saved) setWidth(saved, false);
    d.addEventListener("pointerdown", function (ev) {
      ev.preventDefault();
      d.setPointerCapture(ev.pointerId);
      document.body.classList.add("lab-resizing");
      function move(e) { setWidth(window.innerWidth - e.clientX, false); }
      function up() {
        d.removeEventListener("pointermove", move);
        d.removeEventListener("pointerup", up);
        document.body.classList.remove("lab-resizing");
        setWidth(L.panel.getBoundingClientRect().width, true);
      }
      d.addEventListener("pointermove", move);
      d.addEventListener("pointerup", up);
    });
    d.addEventListener("keydown", function (ev) {
      var w = L.panel.getBoundingClientRect().width, step = ev.shiftKey ? 96 : 24;
      var to = { ArrowLeft: w + step, ArrowRight: w - step, Home: maxWidth(), End: MIN_W }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      setWidth(to, true);
    });
    window.addEventListener("resize", sizeDivider);
  }

  // ---- tabs -------------------------------------------------------------

  L.selectTab = function (tab) {
    L.$$("[role=tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    document.dispatchEvent(new CustomEvent("courselab:lab-tab", { detail: { tab: tab.id } }));
  };

  L.wirePanel = function () {
    var toggle = document.querySelector("[data-lab-toggle]");
    L.panel.hidden = false;
    toggle.hidden = false;
    var saved = load(OPEN_KEY);
    // Beside the text from 900 px up unless the learner hid it; on phones
    // closed until asked: the reading comes first.
    setOpen(split.matches && saved !== "0", false);
    split.addEventListener("change", function () { setOpen(split.matches && saved !== "0", false); });
    toggle.addEventListener("click", function () { saved = null; setOpen(!L.panel.classList.contains("open"), true); });
    L.$("[data-lab-close]").addEventListener("click", function () {
      saved = "0";
      setOpen(false, true);
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && L.panel.classList.contains("open") && !split.matches) setOpen(false, true);
    });
    wireDivider();

    var tabs = L.$$("[role=tab]");
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { L.selectTab(tab); });
      tab.addEventListener("keydown", function (ev) {
        var j = null;
        if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
        if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        if (ev.key === "Home") j = 0;
        if (ev.key === "End") j = tabs.length - 1;
        if (j !== null) { ev.preventDefault(); L.selectTab(tabs[j]); tabs[j].focus(); }
      });
    });
  };
})(window.courselabLab);
