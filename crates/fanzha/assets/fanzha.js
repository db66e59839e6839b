// fanzha: behaviour that needs script, kept small; pages work without it.
document.addEventListener("htmx:configRequest", function (e) {
  var m = document.querySelector('meta[name="csrf-token"]');
  if (m) { e.detail.headers["X-CSRF-Token"] = m.content; }
});
// Copy buttons: <button data-copy="ID" hidden> copies the text of element ID; shown only where the
// clipboard can be written (without script the text stays there to select by hand).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    if (!navigator.clipboard) { return; }
    b.hidden = false;
    b.addEventListener("click", function () {
      var t = document.getElementById(b.dataset.copy);
      if (!t) { return; }
      navigator.clipboard.writeText(t.textContent.trim()).then(function () {
        b.textContent = b.dataset.done || b.textContent;
      });
    });
  });
});
// Print buttons: <button data-print hidden> prints the page; without script the browser's own
// print command does the same.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
});
