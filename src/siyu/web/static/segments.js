// siyu console: the segment builder (structured rule form + raw JSON, live count), the counts
// chart, and the settings/tag forms that write through the JSON API with the CSRF header.
"use strict";

function csrfHeader() {
  return { "Content-Type": "application/json",
           "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content };
}

async function sendJson(method, url, body) {
  const response = await fetch(url, { method, headers: csrfHeader(), body: JSON.stringify(body) });
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function problemText(data, status) {
  if (data && data.error) return data.error.message;
  if (data && Array.isArray(data.detail)) {
    return data.detail.map((d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return String(status);
}

// ---- the rule tree -------------------------------------------------------------------------
// A group is {kind: "group", op: "and"|"or", children: [...]}; a condition is
// {kind: "field", field, op, value, key}; anything else is kept as {kind: "raw", json}.

const NO_VALUE = new Set(["is_null", "is_not_null"]);

function toTree(node) {
  if (node && typeof node === "object" && !Array.isArray(node)) {
    for (const op of ["and", "or"]) {
      if (Array.isArray(node[op]) && Object.keys(node).length === 1) {
        return { kind: "group", op, children: node[op].map(toTree) };
      }
    }
    if (typeof node.field === "string") {
      return { kind: "field", field: node.field, op: node.op || "=", value: node.value, key: node.key };
    }
  }
  return { kind: "raw", json: JSON.stringify(node) };
}

function fromTree(tree) {
  if (tree.kind === "group") return { [tree.op]: tree.children.map(fromTree) };
  if (tree.kind === "field") {
    const condition = { field: tree.field, op: tree.op };
    if (tree.key) condition.key = tree.key;
    if (!NO_VALUE.has(tree.op)) condition.value = tree.value;
    return condition;
  }
  try { return JSON.parse(tree.json); } catch (error) { return tree.json; }
}

function parseValue(text, kind, op) {
  const one = (part) => {
    const value = part.trim();
    if (kind === "integer" || kind === "number") return value === "" || isNaN(Number(value)) ? value : Number(value);
    if (kind === "boolean") return value === "true";
    if (kind === "day" && /^-?\d+$/.test(value)) return { days_ago: Number(value) };
    return value;
  };
  if (op === "in" || op === "not_in" || op === "between") return text.split(",").map(one);
  return one(text);
}

function showValue(value) {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map(showValue).join(",");
  if (typeof value === "object" && "days_ago" in value) return String(value.days_ago);
  return String(value);
}

class Builder {
  constructor(root) {
    this.root = root;
    this.fields = JSON.parse(document.getElementById("rule-fields").textContent);
    this.words = JSON.parse(document.getElementById("builder-words").textContent);
    this.json = document.getElementById("rule-json");
    this.count = document.getElementById("live-count");
    this.errors = document.getElementById("rule-errors");
    this.timer = null;
    this.sequence = 0;
    const document_ = JSON.parse(root.dataset.rule);
    const tree = toTree(document_.rule);
    this.tree = tree.kind === "group" ? tree : { kind: "group", op: "and", children: [tree] };
    this.json.addEventListener("input", () => this.fromJson());
    this.render();
  }

  document() { return { version: 1, rule: fromTree(this.tree) }; }

  fromJson() {
    try {
      const parsed = JSON.parse(this.json.value);
      const tree = toTree(parsed.rule);
      this.tree = tree.kind === "group" ? tree : { kind: "group", op: "and", children: [tree] };
      this.draw();
      this.schedule(this.document()); // as the form shows it, so error paths match its rows
    } catch (error) {
      this.errors.textContent = `${this.words.invalid_json}: ${error.message}`;
    }
  }

  render() {
    this.draw();
    this.json.value = JSON.stringify(this.document(), null, 2);
    this.schedule(this.document());
  }

  draw() {
    this.root.innerHTML = "";
    this.root.appendChild(this.group(this.tree, "$.rule", null));
  }

  group(node, path, parent) {
    const box = document.createElement("div");
    box.className = "rule-group";
    box.dataset.path = path;
    const op = document.createElement("select");
    op.className = "group-op";
    for (const name of ["and", "or"]) op.add(new Option(this.words[name], name, false, node.op === name));
    op.addEventListener("change", () => { node.op = op.value; this.render(); });
    box.appendChild(op);
    node.children.forEach((child, index) => {
      const childPath = `${path}.${node.op}[${index}]`;
      const row = child.kind === "group" ? this.group(child, childPath, node) : this.condition(child, childPath, node);
      box.appendChild(row);
    });
    const actions = document.createElement("div");
    actions.className = "group-actions";
    actions.appendChild(this.button(this.words.add_condition, "add-condition", () => {
      node.children.push({ kind: "field", field: "stage", op: "=", value: "first_order" }); this.render();
    }));
    actions.appendChild(this.button(this.words.add_group, "add-group", () => {
      node.children.push({ kind: "group", op: "or", children: [] }); this.render();
    }));
    if (parent) actions.appendChild(this.button(this.words.remove, "remove", () => {
      parent.children.splice(parent.children.indexOf(node), 1); this.render();
    }));
    box.appendChild(actions);
    box.appendChild(this.errorSlot());
    return box;
  }

  condition(node, path, parent) {
    const row = document.createElement("div");
    row.className = "rule-condition";
    row.dataset.path = path;
    if (node.kind === "raw") {
      const text = document.createElement("input");
      text.className = "raw-condition";
      text.value = node.json;
      text.addEventListener("change", () => { node.json = text.value; this.render(); });
      row.appendChild(text);
    } else {
      const spec = this.fields[node.field] || { kind: "text", ops: ["="], choices: null, key: null };
      const field = document.createElement("select");
      field.className = "cond-field";
      for (const name of Object.keys(this.fields)) field.add(new Option(name, name, false, name === node.field));
      field.addEventListener("change", () => {
        node.field = field.value; node.op = this.fields[field.value].ops[0]; node.value = undefined; node.key = undefined;
        this.render();
      });
      const op = document.createElement("select");
      op.className = "cond-op";
      for (const name of spec.ops) op.add(new Option(name, name, false, name === node.op));
      op.addEventListener("change", () => { node.op = op.value; this.render(); });
      row.append(field, op);
      if (spec.key) {
        const key = document.createElement("input");
        key.className = "cond-key"; key.placeholder = spec.key; key.value = node.key || "";
        key.addEventListener("input", () => { node.key = key.value; this.changed(); });
        row.appendChild(key);
      }
      if (!NO_VALUE.has(node.op)) row.appendChild(this.valueInput(node, spec));
    }
    row.appendChild(this.button("×", "remove", () => { parent.children.splice(parent.children.indexOf(node), 1); this.render(); }));
    row.appendChild(this.errorSlot());
    return row;
  }

  valueInput(node, spec) {
    const value = document.createElement("input");
    value.className = "cond-value";
    value.value = showValue(node.value);
    if (spec.choices) {
      const list = `choices-${spec.name}`;
      value.setAttribute("list", list);
      if (!document.getElementById(list)) {
        const options = document.createElement("datalist");
        options.id = list;
        spec.choices.forEach((choice) => options.appendChild(new Option(choice, choice)));
        document.body.appendChild(options);
      }
    }
    value.title = spec.kind === "day" ? this.words.day_hint : this.words.list_hint;
    value.addEventListener("input", () => { node.value = parseValue(value.value, spec.kind, node.op); this.changed(); });
    return value;
  }

  errorSlot() {
    const slot = document.createElement("span");
    slot.className = "error rule-error";
    return slot;
  }

  button(text, name, action) {
    const button = document.createElement("button");
    button.type = "button"; button.className = `small ${name}`; button.textContent = text;
    button.addEventListener("click", action);
    return button;
  }

  changed() {
    this.json.value = JSON.stringify(this.document(), null, 2);
    this.schedule(this.document());
  }

  schedule(rule) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetchCount(rule), 300);
  }

  async fetchCount(rule) {
    const ticket = ++this.sequence;
    this.count.dataset.state = "loading";
    const answer = await sendJson("POST", "/api/v1/segments/count", { rule });
    if (ticket !== this.sequence) return; // a newer edit is on its way
    this.root.querySelectorAll(".rule-error").forEach((slot) => { slot.textContent = ""; });
    this.errors.textContent = "";
    if (!answer.ok) {
      this.count.textContent = "–"; this.count.dataset.state = "error";
      this.errors.textContent = problemText(answer.data, answer.status);
      return;
    }
    const body = answer.data;
    if (body.errors.length) {
      this.count.textContent = "–"; this.count.dataset.state = "invalid";
      for (const problem of body.errors) this.showProblem(problem);
      return;
    }
    this.count.textContent = body.count.toLocaleString("en-US");
    this.count.dataset.state = "ok";
  }

  showProblem(problem) {
    const text = `${problem.path}: ${problem.message}`;
    let best = null;
    this.root.querySelectorAll("[data-path]").forEach((element) => {
      const at = element.dataset.path;
      if ((problem.path === at || problem.path.startsWith(`${at}.`) || problem.path.startsWith(`${at}[`))
          && (!best || at.length > best.dataset.path.length)) best = element;
    });
    const slot = best ? best.querySelector(":scope > .rule-error") : null;
    (slot || this.errors).textContent = text;
  }
}

async function saveSegment(builder) {
  const form = document.getElementById("segment-form");
  const result = document.getElementById("save-result");
  const id = form.dataset.segmentId;
  const body = { rule: builder.document(), description: form.elements.description.value };
  const answer = id
    ? await sendJson("PUT", `/api/v1/segments/${id}`, body)
    : await sendJson("POST", "/api/v1/segments", { ...body, name: form.elements.name.value });
  if (answer.ok) {
    window.location.href = `/segments/${answer.data.id}`;
  } else {
    result.textContent = problemText(answer.data, answer.status);
    result.dataset.status = String(answer.status);
  }
}

function drawSegmentCounts() {
  const element = document.getElementById("segment-counts");
  if (!element) return;
  const counts = JSON.parse(element.dataset.counts);
  const view = echarts.init(element);
  view.setOption({
    tooltip: { trigger: "axis" }, grid: { left: 50, right: 20, top: 20, bottom: 30 },
    xAxis: { type: "category", data: counts.map((c) => c.on) },
    yAxis: { type: "value" },
    series: [
      { type: "line", name: "members", data: counts.map((c) => c.members), itemStyle: { color: "#0f766e" } },
      { type: "bar", name: "entered", data: counts.map((c) => c.entered), itemStyle: { color: "#14b8a6" } },
      { type: "bar", name: "exited", data: counts.map((c) => -c.exited), itemStyle: { color: "#f97316" } },
    ],
  });
}

// Forms marked data-api="PUT /api/v1/…" send their fields as JSON (numbers as numbers,
// empty as null) and show the answer in the form's .form-result.
function setUpApiForms() {
  document.querySelectorAll("form[data-api]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [method, url] = form.dataset.api.split(" ");
      const body = {};
      for (const element of form.elements) {
        if (!element.name) continue;
        if (element.type === "checkbox") { body[element.name] = element.checked; continue; }
        const text = element.value.trim();
        if (element.dataset.list) body[element.name] = text ? text.split(/[\s,]+/).map(Number) : [];
        else if (element.type === "number") body[element.name] = text === "" ? null : Number(text);
        else body[element.name] = text === "" ? null : text;
      }
      const answer = await sendJson(method, url, body);
      const result = form.querySelector(".form-result");
      result.dataset.status = String(answer.status);
      result.textContent = answer.ok ? form.dataset.saved : problemText(answer.data, answer.status);
      if (answer.ok && form.dataset.reload) window.location.reload();
    });
  });
}

// The customer 360: opening a segment fetches why the customer is in it (as of today).
function explainTree(node, words) {
  const item = document.createElement("li");
  item.className = node.holds ? "holds" : "fails";
  item.textContent = `${node.holds ? "✓" : "✗"} ${node.condition}`;
  if (node.value !== undefined) item.textContent += ` (${words.value}: ${JSON.stringify(node.value)})`;
  if (node.children) {
    const list = document.createElement("ul");
    node.children.forEach((child) => list.appendChild(explainTree(child, words)));
    item.appendChild(list);
  }
  return item;
}

function setUpExplanations() {
  const words = document.getElementById("explain-words");
  if (!words) return;
  const text = JSON.parse(words.textContent);
  document.querySelectorAll("details.why").forEach((details) => {
    details.addEventListener("toggle", async () => {
      const target = details.querySelector("ul.explain");
      if (!details.open || target.childElementCount) return;
      const response = await fetch(details.dataset.explain);
      if (!response.ok) { target.textContent = text.failed; return; }
      target.appendChild(explainTree((await response.json()).tree, text));
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpExplanations();
  const root = document.getElementById("rule-editor");
  if (root) {
    const builder = new Builder(root);
    document.getElementById("save-segment").addEventListener("click", () => saveSegment(builder));
  }
  drawSegmentCounts();
  setUpApiForms();
});
