// "Leave quickly" on the public help pages: replace this page in the history
// (location.replace), so Back does not bring the form back. Without script the
// button is a plain link to the same neutral page.
(function () {
  "use strict";
  function leave(event) {
    var target = event.currentTarget.getAttribute("data-leave");
    if (!target) { return; }
    event.preventDefault();
    document.body.hidden = true;
    window.location.replace(target);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("leave-quickly");
    if (button) { button.addEventListener("click", leave); }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button) { button.click(); }
    });
  });
})();
