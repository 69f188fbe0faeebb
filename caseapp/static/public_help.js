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
      // Not while typing (an input method composing Vietnamese uses Escape,
      // and a child must not lose what they wrote to a stray key).
      var typing = event.isComposing || (event.target && /^(INPUT|TEXTAREA|SELECT)$/
        .test(event.target.tagName));
      if (event.key === "Escape" && button && !typing) { button.click(); }
    });
  });
})();
