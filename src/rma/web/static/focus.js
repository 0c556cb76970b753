// After a failed submit, take the keyboard and screen reader to the list of what is wrong.
(function () {
  var summary = document.getElementById("error-summary") || document.getElementById("estimate-h");
  if (summary) { summary.focus(); }
})();
