// The seller desk: when a form comes back with errors, move focus to their summary so a
// keyboard or screen reader user hears what to fix first.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
