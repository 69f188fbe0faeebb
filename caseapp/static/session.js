// Warns before the idle limit ends the session, offers to stay signed in, and
// puts back text that was kept on the server when a session ended under a form.
// Stores nothing in the browser: no localStorage, sessionStorage or IndexedDB.
(function () {
  "use strict";

  function restoreKeptForm() {
    var data = document.getElementById("kept-form-data");
    if (!data) { return; }
    var kept;
    try { kept = JSON.parse(data.textContent); } catch (e) { return; }
    data.parentNode.removeChild(data);
    var target = null;
    Array.prototype.forEach.call(document.forms, function (form) {
      var action = new URL(form.getAttribute("action") || location.href, location.href);
      if (!target && action.pathname === kept.action) { target = form; }
    });
    if (!target) { return; }
    var first = null;
    var missing = 0;
    Object.keys(kept.fields).forEach(function (name) {
      var values = kept.fields[name];
      var found = target.elements.namedItem(name);
      if (!found) { missing += 1; return; }
      var elements = found.length !== undefined && !found.options ? Array.prototype.slice.call(found) : [found];
      elements.forEach(function (el) {
        var type = (el.type || "").toLowerCase();
        if (type === "hidden" || type === "file" || type === "password" || type === "submit") { return; }
        if (type === "checkbox" || type === "radio") {
          el.checked = values.indexOf(el.value) !== -1;
        } else if (el.multiple && el.options) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) !== -1; });
        } else {
          el.value = values[0];
        }
        first = first || el;
      });
    });
    var details = target.closest("details");
    if (details) { details.open = true; }
    if (first) {
      first.focus();
      if (!missing) {
        // Everything is back in the form: the copy on screen is not needed,
        // the note that it is not saved yet stays above the page.
        var copy = document.querySelector("#kept-form dl");
        if (copy) { copy.hidden = true; }
      }
    }
  }

  function watchSession() {
    var root = document.getElementById("session-watch");
    if (!root || !window.fetch) { return; }
    var idle = parseInt(root.dataset.idle, 10);
    var warn = parseInt(root.dataset.warn, 10);
    var dialog = root.querySelector(".session-warning");
    var text = root.querySelector("#session-warning-text");
    var title = root.querySelector("#session-warning-title");
    var stay = root.querySelector("[data-stay]");
    var login = root.querySelector("[data-login]");
    var failed = root.querySelector("[data-failed]");
    var deadline = Date.now() + idle * 1000;
    var timer = null;
    var ticker = null;
    var previousFocus = null;

    function clock(seconds) {
      var m = Math.floor(seconds / 60);
      var s = seconds % 60;
      return m + ":" + (s < 10 ? "0" : "") + s;
    }

    function schedule(remaining) {
      deadline = Date.now() + remaining * 1000;
      clearTimeout(timer);
      timer = setTimeout(check, Math.max(remaining - warn, 0) * 1000);
    }

    function hide() {
      clearInterval(ticker);
      root.hidden = true;
      if (previousFocus && previousFocus.focus) { previousFocus.focus(); }
    }

    function showEnded() {
      clearInterval(ticker);
      text.textContent = text.dataset.ended;
      if (title && title.dataset.ended) { title.textContent = title.dataset.ended; }
      stay.hidden = true;
      login.hidden = false;
    }

    function tick() {
      var left = Math.max(Math.round((deadline - Date.now()) / 1000), 0);
      if (left <= 0) { showEnded(); return; }
      text.textContent = text.dataset.ending.replace("__TIME__", clock(left));
    }

    function show() {
      if (root.hidden) {
        previousFocus = document.activeElement;
        root.hidden = false;
        stay.hidden = false;
        login.hidden = true;
        failed.hidden = true;
        tick();
        dialog.focus();
      }
      clearInterval(ticker);
      ticker = setInterval(tick, 1000);
    }

    function check() {
      // Asking does not extend the session: another tab may have, though.
      fetch(root.dataset.statusUrl, {credentials: "same-origin", cache: "no-store",
                                     headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (status) {
          if (status.ended) { deadline = Date.now(); show(); showEnded(); return; }
          if (status.remaining > warn + 5) { hide(); schedule(status.remaining); return; }
          deadline = Date.now() + status.remaining * 1000;
          show();
          clearTimeout(timer);
          timer = setTimeout(check, Math.max(status.remaining - 2, 1) * 1000);
        })
        .catch(function () { show(); });
    }

    stay.addEventListener("click", function () {
      stay.disabled = true;
      fetch(root.dataset.extendUrl, {method: "POST", credentials: "same-origin",
                                     headers: {"X-CSRFToken": root.dataset.csrf,
                                               "Accept": "application/json"}})
        .then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        })
        .then(function (status) {
          stay.disabled = false;
          if (status.ended) { showEnded(); return; }
          hide();
          schedule(status.remaining);
        })
        .catch(function () {
          stay.disabled = false;
          failed.hidden = false;
        });
    });

    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !root.hidden && !stay.hidden) { stay.click(); }
    });

    schedule(idle);
  }

  restoreKeptForm();
  watchSession();
}());
