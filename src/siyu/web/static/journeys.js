// siyu console: journeys (create from a template, enable, disable through the API) and the
// dry run's daily-sends chart (the vendored ECharts).
"use strict";

async function journeyPost(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json",
               "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
    body: JSON.stringify(body || {}),
  });
  const result = document.getElementById("journey-result");
  if (response.ok) { window.location.reload(); return; }
  const answer = await response.json();
  if (result) {
    result.textContent = answer.error ? answer.error.message : String(response.status);
    result.dataset.status = String(response.status);
  }
}

function setUpJourneyButtons() {
  document.querySelectorAll("[data-journey-action]").forEach((button) => {
    button.addEventListener("click", () => journeyPost(button.dataset.journeyAction));
  });
  document.querySelectorAll("[data-journey-template]").forEach((button) => {
    button.addEventListener("click",
      () => journeyPost("/api/v1/journeys", { template: button.dataset.journeyTemplate }));
  });
}

function drawJourneySends() {
  const element = document.getElementById("journey-sends");
  if (!element) return;
  const days = JSON.parse(element.dataset.days);
  const channels = [...new Set(days.flatMap((day) => Object.keys(day.sends)))].sort();
  const view = echarts.init(element);
  view.setOption({
    tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 50, right: 20, top: 30, bottom: 40 },
    xAxis: { type: "category", data: days.map((day) => day.day) },
    yAxis: { type: "value", minInterval: 1 },
    series: channels.map((channel) => ({
      name: channel, type: "bar", stack: "sends",
      data: days.map((day) => day.sends[channel] || 0),
    })),
  });
}

document.addEventListener("DOMContentLoaded", () => { setUpJourneyButtons(); drawJourneySends(); });
