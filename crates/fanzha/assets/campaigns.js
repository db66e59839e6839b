// Reach chart of a campaign page: data from the JSON block #camp-chart-data (no inline scripts).
document.addEventListener('DOMContentLoaded', function () {
  var el = document.getElementById('camp-chart');
  var data = document.getElementById('camp-chart-data');
  if (!el || !data || typeof echarts === 'undefined') return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: 'axis' },
    legend: { data: d.labels },
    xAxis: { type: 'category', data: d.days },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: d.labels[0], type: 'bar', data: d.opened },
      { name: d.labels[1], type: 'line', data: d.acknowledged }
    ]
  });
  window.addEventListener('resize', function () { chart.resize(); });
});
