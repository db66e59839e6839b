// fanzha reports: report drafts survive a reload (localStorage), the loss switch, live
// countdowns of stop-payment deadlines, and the figures chart. Pages work without it.
(function () {
  "use strict";
  function ready(f) { if (document.readyState !== "loading") { f(); } else { document.addEventListener("DOMContentLoaded", f); } }
  ready(function () {
    // Drafts: every named field except the CSRF token and the idempotency key.
    var form = document.getElementById("report-form");
    if (form && window.localStorage) {
      var key = form.getAttribute("data-draft-key") || "fz-report-draft";
      var fields = function () {
        return Array.prototype.filter.call(form.elements, function (el) {
          return el.name && el.name !== "csrf" && !el.hasAttribute("data-nodraft") && el.type !== "submit" && el.type !== "hidden";
        });
      };
      var saved = null;
      try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
      // A page the server filled (check, paste, errors) wins over an old draft for fields it set.
      if (saved) {
        fields().forEach(function (el) {
          if (!(el.name in saved)) { return; }
          if (el.type === "checkbox") { if (!el.checked) { el.checked = !!saved[el.name]; } }
          else if (!el.value) { el.value = saved[el.name]; }
        });
      }
      var save = function () {
        var d = {};
        fields().forEach(function (el) { d[el.name] = el.type === "checkbox" ? el.checked : el.value; });
        try { localStorage.setItem(key, JSON.stringify(d)); } catch (e) { /* storage full or blocked */ }
      };
      form.addEventListener("input", save);
      form.addEventListener("change", save);
      // The loss switch opens the transaction section and makes its fields required.
      var lost = document.getElementById("lost");
      var sync = function () {
        var on = lost && lost.checked;
        var sec = document.getElementById("sec-transaction");
        if (on && sec) { sec.open = true; }
        ["tx_account", "tx_amount", "tx_time"].forEach(function (id) {
          var el = document.getElementById(id);
          if (el) { el.required = !!on; }
        });
        document.body.classList.toggle("fz-urgent", !!on);
      };
      if (lost) { lost.addEventListener("change", sync); sync(); }
    }
    // A filed report clears its draft.
    var filed = document.querySelector("[data-clear-draft]");
    if (filed && window.localStorage) { localStorage.removeItem(filed.getAttribute("data-clear-draft")); }
    // Countdowns: the server's clock at render time, advanced by the browser's.
    var counters = document.querySelectorAll(".fz-countdown[data-deadline]");
    if (counters.length) {
      var start = Date.now();
      var tick = function () {
        Array.prototype.forEach.call(counters, function (el) {
          var now = Number(el.getAttribute("data-now")) + (Date.now() - start);
          var left = Number(el.getAttribute("data-deadline")) - now;
          var row = el.closest("[data-status]");
          var done = row && ["frozen", "failed"].indexOf(row.getAttribute("data-status")) >= 0;
          if (done) { el.textContent = ""; return; }
          if (left <= 0) { el.textContent = "⏰ 0:00"; el.classList.add("fz-overdue"); return; }
          var s = Math.floor(left / 1000), m = Math.floor(s / 60);
          el.textContent = "⏳ " + m + ":" + String(s % 60).padStart(2, "0");
          el.classList.toggle("fz-overdue", left < 10 * 60 * 1000);
        });
      };
      tick();
      setInterval(tick, 1000);
    }
    // Figures.
    var chart = document.getElementById("reports-chart");
    if (chart && window.echarts) {
      chart.style.height = "320px";
      var d = JSON.parse(chart.getAttribute("data-chart"));
      var c = window.echarts.init(chart);
      c.setOption({
        tooltip: { trigger: "axis" },
        legend: { type: "scroll" },
        xAxis: { type: "category", data: d.days },
        yAxis: { type: "value", minInterval: 1 },
        series: d.series
      });
      window.addEventListener("resize", function () { c.resize(); });
    }
  });
})();
