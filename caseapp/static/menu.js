// The folded menu (a <details>, it works without this): Escape closes it and
// gives the focus back to its button, as a menu does.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var menu = document.getElementById("menu");
  if (!menu || !menu.open) return;
  menu.open = false;
  var toggle = document.getElementById("menu-toggle");
  if (toggle) toggle.focus();
});
