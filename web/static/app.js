// courselab page conveniences. Everything here is optional: the pages read
// and navigate without JavaScript.
(function () {
  "use strict";

  // Copy buttons on code blocks.
  function addCopyButtons() {
    document.querySelectorAll(".prose pre").forEach(function (pre) {
      // The button sits in the block's wrapper, not in the scrolling pre,
      // so it stays put when a long line scrolls sideways.
      var box = pre.parentElement && pre.parentElement.classList.contains("code") ? pre.parentElement : pre;
      if (box.querySelector(".copy")) return;
      // A block that scrolls sideways must scroll from the keyboard too.
      pre.tabIndex = 0;
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "copy";
      btn.textContent = "Copy";
      btn.setAttribute("aria-label", "Copy code to clipboard");
      btn.addEventListener("click", function () {
        copyText(codeText(pre)).then(function () {
          btn.textContent = "Copied";
          btn.classList.add("done");
          setTimeout(function () { btn.textContent = "Copy"; btn.classList.remove("done"); }, 1600);
        }, function () {
          btn.textContent = "Select and copy";
        });
      });
      box.appendChild(btn);
    });
  }

  // codeText is a code block's source as written in the course: the text of
  // its nodes (innerText would add a line break per highlighted line, which
  // chroma lays out as flex boxes), without the block's final line break.
  function codeText(pre) {
    var code = pre.querySelector("code") || pre;
    return code.textContent.replace(/\n$/, "");
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on a LAN is not a secure context: fall back to a hidden textarea.
    return new Promise(function (resolve, reject) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      ok ? resolve() : reject();
    });
  }

  // On a phone the section list starts folded so the text comes first.
  function foldTocOnPhones() {
    var toc = document.querySelector(".toc");
    if (toc && window.matchMedia("(max-width: 900px)").matches) toc.open = false;
  }

  // Quizzes are graded by the server; without JavaScript the form posts
  // and a small page shows the verdict.
  function wireQuizzes() {
    var article = document.querySelector(".prose[data-course]");
    if (!article) return;
    var course = article.getAttribute("data-course");
    document.querySelectorAll("form.quiz[data-quiz]").forEach(function (form) {
      var out = form.querySelector(".quiz-feedback");
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var answers = [];
        form.querySelectorAll("input[name=answer]:checked").forEach(function (i) { answers.push(i.value); });
        if (answers.length === 0) { show(out, "Choose an answer first.", ""); return; }
        var url = "/api/courses/" + encodeURIComponent(course) + "/quizzes/" + encodeURIComponent(form.getAttribute("data-quiz")) + "/answer";
        postJSON(url, { answers: answers }).then(function (res) {
          if (res.ok) refreshMarks();
          if (res.ok) show(out, verdict(res.body.correct, res.body.feedback), res.body.correct ? "right" : "wrong");
          else show(out, res.body.error || "The answer could not be checked; try again.", "wrong");
        }, function () { show(out, "The server could not be reached; try again.", "wrong"); });
      });
    });
  }

  // showGivenAnswers ticks the answers the learner gave before, and says
  // whether they were right.
  function showGivenAnswers() {
    var article = document.querySelector(".prose[data-course]");
    var forms = document.querySelectorAll("form.quiz[data-quiz]");
    if (!article || forms.length === 0) return;
    var course = article.getAttribute("data-course");
    fetch("/api/progress", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      var done = body && body.courses && body.courses[course] && body.courses[course].quizzes;
      if (!done) return;
      forms.forEach(function (form) {
        var q = done[form.getAttribute("data-quiz")];
        if (!q || !q.answers) return;
        form.querySelectorAll("input[name=answer]").forEach(function (i) { i.checked = q.answers.indexOf(i.value) >= 0; });
        show(form.querySelector(".quiz-feedback"), q.correct ? "Your answer from before: right." : "Your answer from before was not right yet; try another.", q.correct ? "right" : "wrong");
      });
    }, function () {});
  }

  // reportRead tells the server the learner read this section: after the
  // page was shown for 5 s in all, or for 2 s once its end came into view.
  // Opening a page (a prefetch, a curl) does not count.
  function reportRead() {
    var article = document.querySelector(".prose[data-course][data-section]");
    if (!article) return;
    var url = "/api/courses/" + encodeURIComponent(article.getAttribute("data-course")) + "/sections/" +
      encodeURIComponent(article.getAttribute("data-section")) + "/read";
    var shown = 0, sawEnd = false;
    var end = document.querySelector(".pager");
    if (end && window.IntersectionObserver) {
      new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) sawEnd = true;
      }).observe(end);
    }
    var timer = setInterval(function () {
      if (document.visibilityState !== "visible") return;
      shown += 250;
      if (shown >= 5000 || (sawEnd && shown >= 2000)) {
        clearInterval(timer);
        postJSON(url, {}).then(function (res) { if (res.ok) updateMarks(res.body); }, function () {});
      }
    }, 250);
  }

  // updateMarks redraws the sections' marks (sidebar, overview) from
  // the server's answer.
  function updateMarks(body) {
    if (!body || !body.marks) return;
    document.querySelectorAll("[data-mark]").forEach(function (m) {
      var html = body.marks[m.getAttribute("data-mark")];
      if (html !== undefined) m.innerHTML = html;
    });
  }

  function refreshMarks() {
    var article = document.querySelector(".prose[data-course]");
    if (!article) return;
    fetch("/api/courses/" + encodeURIComponent(article.getAttribute("data-course")) + "/marks", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; }).then(updateMarks, function () {});
  }

  // verdict puts "Right!" or "Not quite." before the feedback, unless the
  // course's feedback already starts by saying so.
  function verdict(correct, feedback) {
    var f = String(feedback || "");
    var says = correct ? /^\s*(right|correct|yes|exactly)\b/i : /^\s*(not quite|wrong|no)\b/i;
    if (says.test(f)) return f;
    return (correct ? "Right! " : "Not quite. ") + f;
  }

  function show(el, text, cls) {
    if (!el) return;
    el.textContent = text;
    el.classList.remove("right", "wrong");
    if (cls) el.classList.add(cls);
  }

  // postJSON resolves with {ok, status, body} for any HTTP answer.
  function postJSON(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(data || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return { ok: r.ok, status: r.status, body: body };
      });
    });
  }
  window.courselab = window.courselab || {};
  window.courselab.postJSON = postJSON;
  window.courselab.show = show;
  window.courselab.copyText = copyText;
  window.courselab.codeText = codeText;

  // Exercises: Check asks the server to evaluate the learner's sandbox;
  // the result shows inline, and passed exercises are marked on load.
  function wireExercises() {
    var article = document.querySelector(".prose[data-course]");
    if (!article) return;
    var course = encodeURIComponent(article.getAttribute("data-course"));
    var forms = document.querySelectorAll("form.exercise-check");
    if (forms.length === 0) return;
    forms.forEach(function (form) {
      var box = form.closest(".exercise");
      var id = box && box.getAttribute("data-exercise");
      var out = form.querySelector(".check-result");
      var btn = form.querySelector("button");
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (!id || btn.disabled) return;
        btn.setAttribute("aria-busy", "true");
        btn.disabled = true;
        var label = btn.textContent;
        btn.textContent = "Checking…";
        out.className = "check-result";
        out.textContent = "Checking your sandbox… this can take a few seconds.";
        form.querySelectorAll(".check-details, .check-timeline").forEach(function (n) { n.remove(); });
        postJSON("/api/courses/" + course + "/exercises/" + encodeURIComponent(id) + "/check", {}).then(function (res) {
          if (!res.ok) { out.textContent = res.body.error || "The check could not run; try again."; out.className = "check-result failed"; return; }
          out.textContent = res.body.summary;
          out.className = "check-result " + (res.body.passed ? "passed" : "failed");
          box.classList.toggle("passed", !!res.body.passed);
          if (res.body.details && res.body.details.length > 1) {
            var ul = document.createElement("ul");
            ul.className = "check-details";
            res.body.details.forEach(function (d) {
              var li = document.createElement("li");
              li.className = d.passed ? "ok" : "no";
              li.textContent = d.message;
              ul.appendChild(li);
            });
            form.appendChild(ul);
          }
          if (!res.body.passed && res.body.timeline && res.body.timeline.length) {
            form.appendChild(checkTimeline(res.body.timeline));
          }
          document.dispatchEvent(new CustomEvent("courselab:checked", { detail: { exercise: id, result: res.body } }));
        }, function () {
          out.textContent = "The server could not be reached; try again.";
          out.className = "check-result failed";
        }).then(function () {
          btn.disabled = false;
          btn.removeAttribute("aria-busy");
          btn.textContent = label;
        });
      });
    });
    fetch("/api/courses/" + course + "/exercises", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      if (!body) return;
      body.exercises.forEach(function (e) {
        var box = document.getElementById("exercise-" + e.id);
        if (box && e.passed) box.classList.add("passed");
      });
    }, function () {});
  }

  // checkTimeline shows the packets behind a failed check, oldest first,
  // the step where it went wrong marked: what the learner's clients really
  // did, so that the fix is visible rather than guessed.
  function checkTimeline(steps) {
    var box = document.createElement("details");
    box.className = "check-timeline";
    box.open = true;
    var sum = document.createElement("summary");
    sum.textContent = "What your clients did (" + steps.length + " steps)";
    box.appendChild(sum);
    var ol = document.createElement("ol");
    steps.forEach(function (s) {
      var li = document.createElement("li");
      li.className = "tl-" + s.kind + (s.wrong ? " tl-wrong" : "");
      var t = document.createElement("time");
      t.dateTime = s.at;
      var d = new Date(s.at);
      t.textContent = isNaN(d) ? "" : d.toLocaleTimeString([], { hour12: false });
      li.appendChild(t);
      if (s.client) {
        var c = document.createElement("span");
        c.className = "tl-client";
        c.textContent = s.client;
        li.appendChild(c);
      }
      var x = document.createElement("span");
      x.className = "tl-text";
      x.textContent = (s.wrong ? "✗ " : "") + s.text;
      li.appendChild(x);
      if (s.wrong) li.setAttribute("aria-current", "step");
      ol.appendChild(li);
    });
    box.appendChild(ol);
    return box;
  }
  window.courselab.checkTimeline = checkTimeline;

  // A video waits behind a play button: nothing loads from YouTube until
  // the learner asks, and offline the box says where else to watch it
  // instead of showing a blank frame.
  function deferVideos() {
    document.querySelectorAll(".video-frame iframe").forEach(function (frame) {
      var src = frame.getAttribute("src");
      var box = frame.parentElement;
      var fig = box.closest(".video");
      var link = fig && fig.querySelector("figcaption a");
      var cover = document.createElement("div");
      cover.className = "video-play";
      var play = document.createElement("button");
      play.type = "button";
      play.className = "video-play-button";
      play.innerHTML = '<span class="play" aria-hidden="true">▶</span><span>Play the video</span>';
      cover.appendChild(play);
      var note = document.createElement("span");
      note.className = "video-offline";
      note.textContent = "It plays from YouTube. No internet here? " + (link ? "Note the link below and watch it later." : "");
      cover.appendChild(note);
      frame.remove();
      box.appendChild(cover);
      play.addEventListener("click", function () {
        frame.setAttribute("src", src + (src.indexOf("?") < 0 ? "?" : "&") + "autoplay=1");
        cover.remove();
        box.appendChild(frame);
        frame.focus();
      });
    });
  }

  // The instructor's table follows the class live (Server-Sent Events,
  // one stream shared by the dashboard's tabs: see stream.js).
  function liveClassTable() {
    var box = document.querySelector("[data-events]");
    if (!box || !window.EventSource || !window.courselab.openStream) return;
    var badge = document.querySelector("[data-live]");
    window.courselab.openStream(box.getAttribute("data-events"), { events: ["table", "cells"], resets: { table: ["table", "cells"] } },
      function (type, data) {
        if (type === "table") { box.innerHTML = data; return; }
        updateRow(box, JSON.parse(data));
      },
      function (st) { if (badge) badge.hidden = !st.live; });
  }

  // updateRow applies a "cells" event: one learner's changed cells only.
  function updateRow(box, ch) {
    var row = null;
    box.querySelectorAll("tr[data-learner]").forEach(function (tr) {
      if (tr.getAttribute("data-learner") === ch.l) row = tr;
    });
    if (!row) return;
    var done = row.querySelector("[data-done]");
    if (done) done.textContent = ch.d;
    row.classList.toggle("stuck", ch.s);
    var cells = row.querySelectorAll("td.cell");
    (ch.c || []).forEach(function (d) {
      var td = cells[d.i];
      if (!td) return;
      td.className = "cell " + d.c;
      td.textContent = d.t;
      if (d.h) td.title = d.h; else td.removeAttribute("title");
    });
  }

  // Panels that may be put away (the resume link after joining).
  function wireDismiss() {
    document.querySelectorAll("[data-dismissible] [data-dismiss]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        btn.closest("[data-dismissible]").remove();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireDismiss();
    addCopyButtons();
    deferVideos();
    foldTocOnPhones();
    wireQuizzes();
    wireExercises();
    showGivenAnswers();
    reportRead();
    document.addEventListener("courselab:checked", refreshMarks);
    liveClassTable();
  });
})();
