// siyu console: creating and launching campaigns through /api/v1/campaigns, and a chart of
// conversion per group.
"use strict";

function campaignCsrf() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

async function campaignPost(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": campaignCsrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json();
  return [response.status, payload];
}

function problem(payload, status) {
  if (payload.error) return payload.error.message;
  if (Array.isArray(payload.detail)) return payload.detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ");
  return String(status);
}

function setUpCreate() {
  const form = document.getElementById("campaign-create");
  if (!form) return;
  const result = document.getElementById("create-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const variants = [];
    for (const key of ["a", "b", "c"]) {
      const text = (data.get(`text-${key}`) || "").trim();
      if (text) variants.push({ key, text, weight: Number(data.get(`weight-${key}`) || 1) });
    }
    const body = {
      name: data.get("name"), segment: data.get("segment"), channel: data.get("channel"),
      purpose: data.get("purpose"), holdout_share: Number(data.get("holdout") || 0) / 100, variants,
    };
    const [status, payload] = await campaignPost("/api/v1/campaigns", body);
    if (status === 201) {
      window.location.href = `/campaigns/${payload.id}`;
    } else {
      result.textContent = problem(payload, status);
    }
  });
}

function setUpLaunch() {
  const button = document.getElementById("launch");
  if (!button) return;
  const result = document.getElementById("launch-result");
  const words = JSON.parse(document.getElementById("campaign-i18n").textContent);
  button.addEventListener("click", async () => {
    button.disabled = true;
    const [status, payload] = await campaignPost(`/api/v1/campaigns/${button.dataset.campaign}/launch`);
    if (status === 200) {
      window.location.reload();
    } else {
      result.textContent = `${words.failed}: ${problem(payload, status)}`;
      button.disabled = false;
    }
  });
}

function drawArms() {
  const element = document.getElementById("arms-chart");
  if (!element || typeof echarts === "undefined") return;
  const arms = JSON.parse(element.dataset.arms);
  echarts.init(element).setOption({
    animation: false, tooltip: {}, grid: { left: 60, right: 20, top: 20, bottom: 30 },
    xAxis: { type: "category", data: arms.map((a) => a.arm) },
    yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    series: [{ type: "bar", name: element.dataset.label, itemStyle: { color: "#0f766e" },
               data: arms.map((a) => (a.conversion_rate === null ? 0 : Math.round(a.conversion_rate * 10000) / 100)) }],
  });
}

document.addEventListener("DOMContentLoaded", () => { setUpCreate(); setUpLaunch(); drawArms(); });
