// The seller desk: when a form comes back with errors, move focus to their summary so a
// keyboard or screen reader user hears what to fix first.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});

// "Select all on this page": ticks or unticks every return of the table.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-select-all")) return;
  for (const each of document.querySelectorAll('input[name="ids"]')) each.checked = box.checked;
});
