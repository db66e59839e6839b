// Warnings pages: live countdowns and the appraisal chart. Pages work without it.
(function () {
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var d = parseInt(el.getAttribute("data-deadline"), 10);
      if (!d) { return; }
      var m = Math.round((d - now) / 60000);
      el.classList.toggle("fz-overdue", m < 0);
      var zh = document.documentElement.lang !== "en";
      var a = Math.abs(m);
      var t = a >= 120 ? Math.floor(a / 60) + (zh ? " 小时" : " h") : a + (zh ? " 分钟" : " min");
      el.textContent = m < 0 ? (zh ? "已超时 " + t : "overdue " + t) : (zh ? "剩余 " + t : "due in " + t);
    });
  }
  function chart() {
    var el = document.getElementById("appraisal-chart");
    if (!el || !window.echarts) { return; }
    var data = JSON.parse(el.getAttribute("data-chart"));
    var c = window.echarts.init(el);
    c.setOption({
      grid: { left: 100, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", inverse: true, data: data.names },
      series: [{ type: "bar", name: data.label, data: data.scores, itemStyle: { color: "#c62828" } }],
      tooltip: {}
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    chart();
    if (document.querySelector("[data-deadline]")) { setInterval(tick, 30000); }
  });
})();
