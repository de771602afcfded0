// The Checks tab: the page's exercises (and the course's others), each
// with a Check button. The sidebar's marks follow from app.js.
(function (L) {
  "use strict";

  // checkItem is one exercise in the panel: Check submits the exercise's
  // own form when it is on this page, else asks the API directly.
  function checkItem(id, title, href, form) {
    var li = L.el("li", "lab-check");
    li.dataset.exercise = id;
    li.appendChild(L.el("span", "lab-check-mark", "○"));
    var a = L.el("a", null, title);
    a.href = href;
    li.appendChild(a);
    var b = L.el("button", "lab-btn primary", "Check");
    b.type = "button";
    b.setAttribute("aria-label", "Check " + title);
    if (form) {
      var own = form.querySelector("button");
      b.disabled = !own || own.disabled;
    }
    b.addEventListener("click", function () {
      li.classList.add("checking");
      li.querySelector(".lab-check-result").textContent = "Checking your sandbox…";
      if (form) {
        if (form.requestSubmit) form.requestSubmit(); else form.querySelector("button").click();
        return;
      }
      b.disabled = true;
      L.api("POST", "/api/courses/" + encodeURIComponent(L.course) + "/exercises/" + encodeURIComponent(id) + "/check", {}).then(function (res) {
        b.disabled = false;
        if (!res.ok) { markExercise(id, false, res.body.error || "The check could not run; try again."); return; }
        document.dispatchEvent(new CustomEvent("courselab:checked", { detail: { exercise: id, result: res.body } }));
      });
    });
    li.appendChild(b);
    li.appendChild(L.el("p", "lab-check-result"));
    L.state.exercises[id] = li;
    return li;
  }

  L.wireChecks = function () {
    var boxes = document.querySelectorAll(".prose .exercise[data-exercise]");
    var list = L.$("[data-checks]");
    L.$("[data-checks-empty]").hidden = boxes.length > 0;
    boxes.forEach(function (box) {
      var title = box.querySelector("h3");
      var id = box.getAttribute("data-exercise");
      list.appendChild(checkItem(id, title ? title.textContent : id, "#" + box.id, box.querySelector("form.exercise-check")));
    });
    L.api("GET", "/api/courses/" + encodeURIComponent(L.course) + "/exercises").then(function (res) {
      if (!res.ok) return;
      var others = L.$("[data-checks-other]");
      (res.body.exercises || []).forEach(function (e) {
        if (!L.state.exercises[e.id]) {
          others.appendChild(checkItem(e.id, e.title, "/courses/" + encodeURIComponent(L.course) + "/" + encodeURIComponent(e.section) + "#exercise-" + encodeURIComponent(e.id), null));
        }
        if (e.passed) markExercise(e.id, true, null);
      });
      L.$("[data-checks-other-head]").hidden = others.children.length === 0;
      countOpen();
    });
    document.addEventListener("courselab:checked", function (ev) {
      var d = ev.detail || {};
      var r = d.result || {};
      markExercise(d.exercise, !!r.passed, r.summary || "");
      var li = L.state.exercises[d.exercise];
      var old = li && li.querySelector(".check-timeline");
      if (old) old.remove();
      if (li && !r.passed && r.timeline && r.timeline.length && window.courselab.checkTimeline) {
        var tl = window.courselab.checkTimeline(r.timeline);
        tl.open = false; // the panel is narrow: the summary says it is there
        li.appendChild(tl);
      }
    });
  };

  function markExercise(id, passed, summary) {
    var li = L.state.exercises[id];
    if (!li) return;
    li.classList.remove("checking");
    li.classList.toggle("passed", passed);
    li.classList.toggle("failed", !passed && summary !== null);
    li.querySelector(".lab-check-mark").textContent = passed ? "✓" : summary !== null ? "✗" : "○";
    if (summary !== null) li.querySelector(".lab-check-result").textContent = summary;
    countOpen();
  }

  // countOpen shows how many of the page's exercises are still to pass.
  function countOpen() {
    L.badge("checks", L.$$("[data-checks] > .lab-check:not(.passed)").length);
  }
})(window.courselabLab);
