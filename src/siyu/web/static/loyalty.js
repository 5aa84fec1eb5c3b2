// siyu console, members page: members per tier (ECharts, served from the package).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("tier-chart");
  if (!element) return;
  const tiers = JSON.parse(element.dataset.tiers);
  const names = Object.keys(tiers);
  echarts.init(element).setOption({
    tooltip: {},
    grid: { left: 60, right: 20, top: 10, bottom: 30 },
    xAxis: { type: "category", data: names },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: names.map((name) => tiers[name]), itemStyle: { color: "#b45309" },
               label: { show: true, position: "top" } }],
  });
});
