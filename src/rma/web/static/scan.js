// The warehouse scan field keeps the focus: a keyboard-wedge scanner types into whatever
// has it, then presses Enter. The page works without this script (the field has autofocus).
(function () {
  "use strict";
  var field = document.querySelector("input[data-scan]");
  if (!field) {
    return;
  }
  function ready() {
    field.focus();
    field.select(); // a rejected code is replaced by the next scan, not appended to
  }
  ready();
  // A click on the page itself, not on a control, gives the focus back to the field.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("a, button, input, select, textarea, label, summary")) {
      ready();
    }
  });
  // Back from another window or tab: scanning works at once.
  window.addEventListener("focus", function () {
    if (document.activeElement === document.body) {
      ready();
    }
  });
})();
