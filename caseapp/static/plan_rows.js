/* The plan form's "Add a row" without a round trip (caseapp.cases, form 04).
   Without script the button posts the form back with one more row, keeping
   what was typed; with it, the last row is copied here, emptied and numbered.
   A file, not an inline script: the Content-Security-Policy allows 'self'. */
(function () {
  "use strict";
  var MAX_ROWS = 40;

  function renumber(node, index) {
    var attrs = ["id", "name", "for", "aria-describedby"];
    var all = [node].concat(Array.prototype.slice.call(node.querySelectorAll("*")));
    all.forEach(function (el) {
      attrs.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/-items-\d+-/g, "-items-" + index + "-"));
        }
      });
    });
  }

  function addRow(event) {
    var button = event.currentTarget;
    var list = button.closest("[data-rows]");
    var rows = list.querySelectorAll("[data-row]");
    if (!rows.length || rows.length >= MAX_ROWS) {
      return;  // let the form post back: the server says what to do
    }
    event.preventDefault();
    var last = rows[rows.length - 1];
    var index = rows.length;
    var row = last.cloneNode(true);
    renumber(row, index);
    row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    row.querySelectorAll(".required-mark").forEach(function (el) { el.remove(); });
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      el.value = "";
      el.removeAttribute("required");
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    var number = row.querySelector(".row-no");
    if (number) {
      number.textContent = number.textContent.replace(/\d+/, String(index + 1));
    }
    last.parentNode.insertBefore(row, last.nextSibling);
    var first = row.querySelector("input, textarea");
    if (first) {
      first.focus();
    }
    if (index + 1 >= MAX_ROWS) {
      button.hidden = true;
    }
  }

  function wire() {
    document.querySelectorAll("[data-rows] .add-row").forEach(function (button) {
      button.addEventListener("click", addRow);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
}());
