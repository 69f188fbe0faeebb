// The folded menu (a <details>, it works without this): Escape closes it and
// gives the focus back to its button, and a tap outside it closes it, as a
// menu does.
(function () {
  function menu() { return document.getElementById("menu"); }
  document.addEventListener("keydown", function (event) {
    var open = menu();
    if (event.key !== "Escape" || !open || !open.open) return;
    open.open = false;
    var toggle = document.getElementById("menu-toggle");
    if (toggle) toggle.focus();
  });
  document.addEventListener("click", function (event) {
    var open = menu();
    if (open && open.open && !open.contains(event.target)) open.open = false;
  });
})();
