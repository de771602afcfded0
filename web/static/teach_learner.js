// One learner's page: their lab part is fetched again every few seconds
// while the page is visible, so the instructor sees clients come and go.
(function () {
  "use strict";
  var EVERY = 3000;
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("learner-lab");
    if (!box || !window.fetch) return;
    var url = box.getAttribute("data-lab-url");
    var last = "";
    function refresh() {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html === null) return;
        // The time stamp changes on every read: compare without it.
        var bare = html.replace(/<p class="muted lab-as-of">[\s\S]*?<\/p>/, "");
        if (bare !== last) {
          last = bare;
          box.innerHTML = html;
        }
      }, function () {});
    }
    setInterval(refresh, EVERY);
    document.addEventListener("visibilitychange", refresh);
  });
})();
