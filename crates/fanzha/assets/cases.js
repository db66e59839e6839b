// fanzha cases: draws the charts described by the JSON block #cases-charts (no inline script), and
// the print buttons of briefings and certificates.
(function () {
  function draw() {
    var block = document.getElementById("cases-charts");
    if (!block || typeof echarts === "undefined") { return; }
    var charts;
    try { charts = JSON.parse(block.textContent); } catch (e) { return; }
    var drawn = [];
    charts.forEach(function (c) {
      var el = document.getElementById(c.id);
      if (!el) { return; }
      var chart = echarts.init(el, null, { renderer: "svg" });
      var option;
      if (c.kind === "pie") {
        option = {
          title: { text: c.title, textStyle: { fontSize: 14 } },
          tooltip: { trigger: "item" },
          series: [{ type: "pie", radius: ["35%", "65%"], top: 30,
            data: c.labels.map(function (l, i) { return { name: l, value: c.series[0].values[i] }; })
              .filter(function (d) { return d.value > 0; }) }]
        };
      } else {
        option = {
          title: { text: c.title, textStyle: { fontSize: 14 } },
          tooltip: { trigger: "axis" },
          legend: c.series.length > 1 ? { top: 0, right: 0 } : undefined,
          grid: { left: 40, right: 16, top: c.series.length > 1 ? 60 : 40, bottom: 60, containLabel: true },
          xAxis: { type: "category", data: c.labels, axisLabel: { rotate: c.labels.length > 8 ? 40 : 0 } },
          yAxis: { type: "value", minInterval: 1 },
          series: c.series.map(function (s) {
            return { name: s.name, type: c.kind, data: s.values, smooth: c.kind === "line" };
          })
        };
      }
      chart.setOption(option);
      el.setAttribute("data-drawn", "1");
      drawn.push(chart);
    });
    window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    draw();
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
})();
