// The problems queue: problems of every source in your units, newest first, with filters.
"use strict";

const STAGES = ["new", "acknowledged", "rectified", "returned", "verified"];
const view = { rows: [], unit: "", source: "", stage: "", closed: false };

function options(select, values, label) {
  const current = select.value;
  select.replaceChildren(el("option", { value: "" }, t("all")),
    ...values.map((v) => el("option", { value: v }, label(v))));
  select.value = values.includes(current) ? current : "";
}

function typeTitle(p) { return CW.lang === "zh" ? p.title_zh : p.title_en; }

function render() {
  const rows = view.rows.filter((p) => (!view.unit || p.unit === view.unit) &&
    (!view.source || p.source === view.source) && (!view.stage || p.stage === view.stage));
  options(document.getElementById("p-unit"), [...new Set(view.rows.map((p) => p.unit))].sort(),
    (u) => u);
  options(document.getElementById("p-source"), [...new Set(view.rows.map((p) => p.source))],
    (s) => t("src." + s));
  options(document.getElementById("p-stage"), STAGES, (s) => t("stage." + s));
  document.getElementById("prows").replaceChildren(...(rows.length ? rows.map((p) => el("tr", {
    "data-id": p.id, "data-source": p.source,
    onclick: () => { location.href = "/problem/" + encodeURIComponent(p.id); },
  },
  el("td", {}, el("span", { class: "src " + p.source }, t("src." + p.source))),
  el("td", {}, el("a", { href: "/problem/" + encodeURIComponent(p.id) }, typeTitle(p))),
  el("td", {}, p.case || "—"), el("td", {}, p.unit), el("td", {}, fmtTime(p.found_at)),
  el("td", {}, p.found_by), el("td", {}, el("span", { class: `stage ${p.stage}` }, t("stage." + p.stage))),
  el("td", { class: "msg" }, p.description))) : [el("tr", {}, el("td", { colspan: 8 }, t("no_problems")))]));
  document.getElementById("pcount").textContent = `${t("open_problems")} ${rows.length}`;
}

async function load() {
  const r = await api("/api/problems" + (view.closed ? "?closed=1" : ""));
  view.rows = r.problems;
  render();
}

async function main() {
  await boot();
  header("problems", render);
  if (!["inspector", "supervisor", "unit"].includes(CW.me.role)) {
    document.getElementById("p-new").remove();
  }
  for (const name of ["unit", "source", "stage"]) {
    document.getElementById("p-" + name).addEventListener("change", (e) => {
      view[name] = e.target.value;
      render();
    });
  }
  document.getElementById("p-closed").addEventListener("change", (e) => {
    view.closed = e.target.checked;
    load();
  });
  await load();
  document.body.dataset.loaded = "1";
  setInterval(load, 10000);
}

main();
