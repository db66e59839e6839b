// fanzha unit picker: a search box above each [data-picker] <select> that narrows its options
// by name as the person types; selected options always stay. Without this script the select
// works as it is.
(function () {
  if (window.fzPicker) { return; }
  window.fzPicker = true;
  function enhance(box) {
    var select = box.querySelector("[data-picker-select]");
    if (!select || box.querySelector("input[type=search]")) { return; }
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = box.getAttribute("data-placeholder") || "";
    search.setAttribute("aria-controls", select.id);
    search.className = "fz-picker-search";
    box.insertBefore(search, select);
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (o) {
        var show = !q || o.value === "" || o.selected || o.text.toLowerCase().indexOf(q) >= 0 || o.value.toLowerCase() === q;
        o.hidden = !show;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-picker]").forEach(enhance);
  });
})();
