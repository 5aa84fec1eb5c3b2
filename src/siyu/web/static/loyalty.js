// siyu console, members page: members per tier (ECharts, served from the package).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("tier-chart");
  if (!element) return;
  const tiers = JSON.parse(element.dataset.tiers); // [[name, members], …], lowest tier first
  echarts.init(element).setOption({
    animation: false,
    tooltip: {},
    grid: { left: 60, right: 20, top: 28, bottom: 30 },
    xAxis: { type: "category", data: tiers.map((tier) => tier[0]) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: tiers.map((tier) => tier[1]), itemStyle: { color: "#b45309" },
               label: { show: true, position: "top" } }],
  });
});
