// Live list of open warnings: most urgent first, filters, paging, countdowns.
"use strict";

const PAGE_SIZE = 50;
const RANK = { violation: 0, overdue: 1, approaching: 2 };
const state = { map: new Map(), page: 0, filters: { unit: "", level: "", rule: "", measure: "" },
  fresh: new Set(), pending: false };

function urgency(a, b) {
  if (RANK[a.level] !== RANK[b.level]) return RANK[a.level] - RANK[b.level];
  const da = a.due || a.changed, db = b.due || b.changed;
  if (a.level === "violation") return db < da ? -1 : db > da ? 1 : a.id < b.id ? -1 : 1;
  const ta = new Date(da).getTime(), tb = new Date(db).getTime();
  return ta - tb || (a.id < b.id ? -1 : 1);
}

function visible() {
  const f = state.filters;
  const rules = CW.info.rules;
  return [...state.map.values()].filter((w) =>
    (!f.unit || w.unit === f.unit) && (!f.level || w.level === f.level) &&
    (!f.rule || w.rule === f.rule) &&
    (!f.measure || (rules[w.rule] && rules[w.rule].measure === f.measure)),
  ).sort(urgency);
}

function options(select, values, label) {
  const current = select.value;
  select.replaceChildren(el("option", { value: "" }, t("all")),
    ...values.map((v) => el("option", { value: v }, label(v))));
  select.value = values.includes(current) ? current : "";
}

function renderFilters() {
  const units = [...new Set([...state.map.values()].map((w) => w.unit))].sort();
  options(document.getElementById("f-unit"), units, (u) => u);
  options(document.getElementById("f-level"), ["violation", "overdue", "approaching"], t);
  options(document.getElementById("f-rule"), Object.keys(CW.info.rules).sort(), ruleTitle);
  options(document.getElementById("f-measure"), Object.keys(CW.info.measures), measureLabel);
}

function render() {
  state.pending = false;
  const rows = visible();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  state.page = Math.min(state.page, pages - 1);
  const now = Date.now();
  const body = document.getElementById("rows");
  body.replaceChildren(...rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE)
    .map((w) => el("tr", {
      "data-id": w.id, "data-level": w.level, "data-unit": w.unit,
      class: `lv-${w.level}` + (state.fresh.has(w.id) ? " fresh" : ""),
      onclick: () => { location.href = "/warning/" + encodeURIComponent(w.id); },
    },
    el("td", {}, el("span", { class: `badge ${w.level}` }, t(w.level))),
    el("td", {}, el("a", { href: "/warning/" + encodeURIComponent(w.id) }, ruleTitle(w.rule))),
    el("td", {}, w.case), el("td", {}, w.person || "—"), el("td", {}, w.unit),
    el("td", {}, fmtTime(w.due)),
    el("td", { class: "left", "data-due": w.due || "" }, fmtLeft(w.due, now)),
    el("td", {}, el("span", { class: `stage ${w.stage}` }, t("stage." + w.stage))),
    el("td", { class: "msg" }, CW.lang === "zh" ? w.zh : w.en))));
  document.getElementById("count").textContent =
    `${t("open")} ${rows.length} / ${state.map.size}`;
  document.getElementById("pageno").textContent = `${state.page + 1} / ${pages}`;
}

function schedule() {
  if (!state.pending) {
    state.pending = true;
    requestAnimationFrame(render);
  }
}

function tick() {
  const now = Date.now();
  document.querySelectorAll("#rows td.left").forEach((td) => {
    td.textContent = fmtLeft(td.dataset.due, now);
  });
}

async function main() {
  await boot();
  header("list", () => { renderFilters(); render(); });
  for (const name of ["unit", "level", "rule", "measure"]) {
    document.getElementById("f-" + name).addEventListener("change", (e) => {
      state.filters[name] = e.target.value;
      state.page = 0;
      render();
    });
  }
  document.getElementById("prev").onclick = () => { state.page = Math.max(0, state.page - 1); render(); };
  document.getElementById("next").onclick = () => { state.page += 1; render(); };
  let filtersDirty = false;
  const feed = new LiveFeed(
    (warnings) => {
      state.map = new Map(warnings.map((w) => [w.id, w]));
      renderFilters();
      render();
    },
    (ev) => {
      if (ev.op === "upsert") {
        if (!state.map.has(ev.w.id)) {
          state.fresh.add(ev.w.id);
          setTimeout(() => { state.fresh.delete(ev.w.id); schedule(); }, 5000);
          filtersDirty = true;
        }
        state.map.set(ev.w.id, ev.w);
      } else if (ev.op === "remove") {
        state.map.delete(ev.id);
      }
      schedule();
    },
    (s) => {
      const c = document.getElementById("conn");
      c.textContent = t(s);
      c.className = "conn " + s;
      document.body.dataset.conn = s;
    },
  );
  setInterval(() => {
    tick();
    if (filtersDirty) { filtersDirty = false; renderFilters(); }
  }, 1000);
  await feed.load();
}

main();
