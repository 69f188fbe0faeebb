/* The printable forms' "Print" button (caseapp.care.printing). A file, not an
   inline script: the Content-Security-Policy allows script from 'self' only. */
(function () {
  "use strict";
  function wire() {
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
}());
