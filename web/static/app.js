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
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "copy";
      btn.textContent = "Copy";
      btn.setAttribute("aria-label", "Copy code to clipboard");
      btn.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        var text = code.innerText.replace(/\n$/, "");
        copyText(text).then(function () {
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

  document.addEventListener("DOMContentLoaded", function () {
    addCopyButtons();
    foldTocOnPhones();
  });
})();
