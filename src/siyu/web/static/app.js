// siyu console: charts (ECharts, served from the package) and the import upload.
"use strict";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

function chart(id) {
  const element = document.getElementById(id);
  return element ? [element, echarts.init(element)] : [null, null];
}

function drawFunnel() {
  const [element, view] = chart("funnel");
  if (!view) return;
  const stages = JSON.parse(element.dataset.stages);
  const labels = JSON.parse(element.dataset.labels);
  const names = Object.keys(stages);
  view.setOption({
    tooltip: {},
    grid: { left: 90, right: 20, top: 10, bottom: 20 },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: names.map((name) => labels[name]) },
    series: [{ type: "bar", data: names.map((name) => stages[name]), itemStyle: { color: "#0f766e" },
               label: { show: true, position: "right" } }],
  });
}

function drawClv() {
  const [element, view] = chart("clv");
  if (!view) return;
  const clv = JSON.parse(element.dataset.clv);
  const labels = clv.counts.map((_, i) => `¥${clv.edges[i]}–${clv.edges[i + 1]}`);
  view.setOption({
    tooltip: {}, grid: { left: 50, right: 20, top: 10, bottom: 60 },
    xAxis: { type: "category", data: labels, axisLabel: { rotate: 40 } },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: clv.counts, itemStyle: { color: "#14b8a6" } }],
  });
}

function drawCohorts() {
  const [element, view] = chart("cohorts");
  if (!view) return;
  const cohorts = JSON.parse(element.dataset.cohorts);
  const data = [];
  cohorts.forEach((cohort, row) => cohort.retention.forEach((share, month) => {
    if (share !== null && month > 0) data.push([month, row, Math.round(share * 1000) / 10]);
  }));
  view.setOption({
    tooltip: { formatter: (p) => `${cohorts[p.value[1]].month} +${p.value[0]}: ${p.value[2]}%` },
    grid: { left: 70, right: 20, top: 10, bottom: 60 },
    xAxis: { type: "category", data: Array.from({ length: 11 }, (_, i) => `+${i + 1}`) },
    yAxis: { type: "category", data: cohorts.map((c) => `${c.month} (${c.customers})`) },
    visualMap: { min: 0, max: Math.max(5, ...data.map((d) => d[2])), calculable: true,
                 orient: "horizontal", left: "center", bottom: 0 },
    series: [{ type: "heatmap", data: data.map((d) => [d[0] - 1, d[1], d[2]]), label: { show: true } }],
  });
}

async function loadRuns() {
  const table = document.querySelector("#runs tbody");
  if (!table) return;
  const response = await fetch("/api/v1/imports?page_size=20");
  const page = await response.json();
  table.innerHTML = "";
  for (const run of page.items) {
    const row = document.createElement("tr");
    const rejected = run.rejected > 0
      ? `<a href="/api/v1/imports/${run.id}/rejects.csv">${run.rejected}</a>` : "0";
    row.innerHTML = `<td>${run.id}</td><td>${run.format}</td><td></td><td>${run.state}</td>` +
      `<td>${run.rows_read}</td><td>${run.inserted}</td><td>${run.updated}</td>` +
      `<td>${run.unchanged}</td><td class="rejected">${rejected}</td>`;
    row.children[2].textContent = run.file_name;
    table.appendChild(row);
  }
}

function setUpUpload() {
  const form = document.getElementById("upload");
  if (!form) return;
  const words = JSON.parse(document.getElementById("i18n").textContent);
  const progress = document.getElementById("upload-progress");
  const result = document.getElementById("upload-result");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", "/api/v1/imports");
    request.setRequestHeader("X-CSRF-Token", csrfToken());
    progress.hidden = false;
    progress.value = 0;
    request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = 100 * e.loaded / e.total; };
    request.onload = () => {
      const body = JSON.parse(request.responseText);
      progress.value = 100;
      result.textContent = request.status === 200
        ? `${words.done}: ${body.read} / ${body.inserted} / ${body.rejected} ${words.rejected_rows}`
        : `${words.failed}: ${body.error ? body.error.message : request.status}`;
      result.dataset.status = String(request.status);
      loadRuns();
    };
    request.send(new FormData(form));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  drawFunnel(); drawClv(); drawCohorts(); loadRuns(); setUpUpload();
});
