/* The intake form: the hotline's call number is asked only when the report came
   through hotline 111; after a refused save, the summary of mistakes gets focus.
   Without script the field stays visible (its hint says when to fill it). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var channel = document.getElementById("channel");
    var boxes = document.querySelectorAll("[data-hotline-only]");
    function sync() {
      for (var i = 0; i < boxes.length; i++) {
        var wanted = (boxes[i].getAttribute("data-channels") || "").split(" ");
        var shown = !!channel && wanted.indexOf(channel.value) !== -1;
        boxes[i].hidden = !shown;
      }
    }
    if (channel && boxes.length) {
      channel.addEventListener("change", sync);
      sync();
    }
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
      // A link of the summary puts the cursor in its field, not only the page there.
      summary.addEventListener("click", function (event) {
        var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
        var target = link && document.getElementById(link.getAttribute("href").slice(1));
        if (target && typeof target.focus === "function") {
          event.preventDefault();
          target.scrollIntoView({block: "center"});
          target.focus();
        }
      });
    }
  });
})();
