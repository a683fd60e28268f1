// The work queue: open warnings and problems, most urgent first, with queues (待确认 /
// 待整改 / 待核查) and their counts, filters, sort and page all in the URL (a link shares
// the view), search by case or person id, export of the view, and new overdue / escalated
// warnings marked until seen (count in the tab title, optional sound and desktop
// notification). The filters and orders are those of web/views.py, which the export
// applies. `/problems` is the same queue with its kind fixed to problems.
"use strict";

const PAGE_SIZE = 50;
const PROBLEMS_PAGE = location.pathname === "/problems";
const RANK = { system: 0, violation: 1, overdue: 2, approaching: 3, problem: 4 };
const SOURCES = ["platform", "self_check", "cross_check", "patrol", "case_review", "visit"];
const ENTERING = ["inspector", "supervisor", "unit"];  // may record a problem
const VIEWS = { all: null, confirm: ["new"], rectify: ["acknowledged", "returned"],
  verify: ["rectified"] };
const LEFT = { overdue: [null, 0], "24h": [0, 86400e3], "72h": [0, 3 * 86400e3],
  later: [3 * 86400e3, null] };
const FIELDS = ["view", "kind", "source", "unit", "level", "rule", "measure", "stage", "left", "q",
  "sort", "dir"];
const FILTERS = ["kind", "source", "unit", "level", "rule", "measure", "stage", "left"];
const DEFAULTS = { view: "all", sort: "urgency", dir: "asc" };
const state = { map: new Map(), page: 0, f: {}, pending: false, unseen: new Map() };

// ------------------------------------------------------------------ URL <-> state

// An item of the queue: its key (a warning's and a problem's ids may coincide), its page
// and its title (a rule's, or a problem type's).
function keyOf(w) { return `${w.kind}:${w.id}`; }

function hrefOf(w) {
  return (w.kind === "problem" ? "/problem/" : "/warning/") + encodeURIComponent(w.id);
}

function titleOf(w) {
  if (w.kind !== "problem") return ruleTitle(w.rule);
  return CW.lang === "zh" ? w.title_zh : w.title_en;
}

function badge(w) {
  if (w.kind === "problem") {
    return el("span", { class: "badge problem", "data-source": w.source }, t("src." + w.source));
  }
  return el("span", { class: `badge ${w.level}` }, t(w.level));
}

function readUrl() {
  const p = new URLSearchParams(location.search);
  for (const k of FIELDS) state.f[k] = p.get(k) || DEFAULTS[k] || "";
  if (!(state.f.view in VIEWS)) state.f.view = "all";
  if (PROBLEMS_PAGE) state.f.kind = "problem";
  state.page = Math.max(0, (parseInt(p.get("page"), 10) || 1) - 1);
}

function viewQuery() {
  const p = new URLSearchParams();
  for (const k of FIELDS) if (state.f[k] && state.f[k] !== (DEFAULTS[k] || "")) p.set(k, state.f[k]);
  return p;
}

// The page's own address: on /problems the kind is the page's, not a parameter.
function pageQuery() {
  const p = viewQuery();
  if (PROBLEMS_PAGE) p.delete("kind");
  return p;
}

function writeUrl() {
  const p = pageQuery();
  if (state.page) p.set("page", state.page + 1);
  const qs = p.toString();
  history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
  const exp = viewQuery();
  for (const fmt of ["csv", "xlsx"]) {
    exp.set("format", fmt);
    document.getElementById("export-" + fmt).href = "/api/export?" + exp.toString();
  }
}

// ------------------------------------------------------------------ the view

function ancestors(unit) {
  const out = [];
  let u = CW.units[unit];
  while (u && u.parent && !out.includes(u.parent)) {
    out.push(u.parent);
    u = CW.units[u.parent];
  }
  return out;
}

function urgency(a, b) {
  if (RANK[a.level] !== RANK[b.level]) return RANK[a.level] - RANK[b.level];
  const ta = new Date(a.due || a.changed).getTime(), tb = new Date(b.due || b.changed).getTime();
  if (a.level === "violation") return tb - ta || (a.id < b.id ? -1 : 1);
  return ta - tb || (a.id < b.id ? -1 : 1);
}

const COLUMNS = {
  level: (w) => RANK[w.level], rule: (w) => w.rule, case: (w) => w.case,
  person: (w) => w.person || "", unit: (w) => w.unit,
  due: (w) => (w.due ? new Date(w.due).getTime() : Infinity), stage: (w) => w.stage,
  changed: (w) => w.changed,
};

function matches(w, f, now, rules, stages) {
  if (stages && !stages.includes(w.stage)) return false;
  if (f.kind && w.kind !== f.kind) return false;
  if (f.source && w.source !== f.source) return false;
  if (f.unit && w.unit !== f.unit && !ancestors(w.unit).includes(f.unit)) return false;
  if (f.level && w.level !== f.level) return false;
  if (f.rule && w.rule !== f.rule) return false;
  if (f.measure && !(w.kind === "warning" && rules[w.rule] && rules[w.rule].measure === f.measure)) {
    return false;
  }
  if (f.stage && w.stage !== f.stage) return false;
  if (f.q && !(w.case.startsWith(f.q) || (w.person || "").startsWith(f.q))) return false;
  if (f.left) {
    if (!w.due) return false;
    const left = new Date(w.due).getTime() - now, [lo, hi] = LEFT[f.left];
    if ((lo !== null && left < lo) || (hi !== null && left >= hi)) return false;
  }
  return true;
}

function visible() {
  const f = state.f, now = Date.now(), rules = CW.info.rules;
  const rows = [...state.map.values()].filter((w) => matches(w, f, now, rules, VIEWS[f.view]));
  if (f.sort === "urgency") rows.sort(urgency);
  else {
    const col = COLUMNS[f.sort] || COLUMNS.due;
    rows.sort((a, b) => {
      const x = col(a), y = col(b);
      return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : 1;
    });
  }
  if (f.dir === "desc") rows.reverse();
  return rows;
}

function counts() {
  const f = { ...state.f, view: "all" }, now = Date.now(), rules = CW.info.rules;
  const out = {};
  for (const [name, stages] of Object.entries(VIEWS)) {
    out[name] = [...state.map.values()].filter((w) => matches(w, f, now, rules, stages)).length;
  }
  return out;
}

// ------------------------------------------------------------------ rendering

function options(select, values, label) {
  const current = select.value;
  select.replaceChildren(el("option", { value: "" }, t("all")),
    ...values.map((v) => el("option", { value: v }, label(v))));
  select.value = values.includes(current) ? current : "";
}

function renderFilters() {
  const items = [...state.map.values()];
  const units = [...new Set(items.map((w) => w.unit)
    .concat(...items.map((w) => ancestors(w.unit))))].sort();
  const types = new Map(items.filter((w) => w.kind === "problem").map((w) => [w.rule, w]));
  options(document.getElementById("f-kind"), ["warning", "problem"], (k) => t("kind." + k));
  options(document.getElementById("f-source"),
    PROBLEMS_PAGE ? SOURCES.filter((s) => s !== "platform") : SOURCES, (s) => t("src." + s));
  options(document.getElementById("f-unit"), units, unitName);
  options(document.getElementById("f-level"),
    ["system", "violation", "overdue", "approaching", "problem"], t);
  const rules = PROBLEMS_PAGE ? [] : Object.keys(CW.info.rules).sort();
  options(document.getElementById("f-rule"), rules.concat([...types.keys()].sort()),
    (r) => (types.has(r) ? titleOf(types.get(r)) : ruleTitle(r)));
  options(document.getElementById("f-measure"), Object.keys(CW.info.measures), measureLabel);
  options(document.getElementById("f-stage"),
    ["new", "acknowledged", "rectified", "returned", "verified"], (s) => t("stage." + s));
  options(document.getElementById("f-left"), Object.keys(LEFT), (k) => t("left." + k));
  for (const k of FILTERS) {
    const sel = document.getElementById("f-" + k);
    if (state.f[k] && ![...sel.options].some((o) => o.value === state.f[k])) {
      sel.append(el("option", { value: state.f[k] }, state.f[k]));  // from a shared link
    }
    sel.value = state.f[k];
  }
  document.getElementById("q").value = state.f.q;
}

function renderTabs() {
  const n = counts();
  document.getElementById("tabs").replaceChildren(...Object.keys(VIEWS).map((v) => el("a", {
    href: "#", role: "tab", id: "tab-" + v, class: "tab" + (state.f.view === v ? " on" : ""),
    "aria-selected": state.f.view === v ? "true" : "false",
    onclick: (e) => { e.preventDefault(); state.f.view = v; state.page = 0; update(); },
  }, t("view." + v), " ", el("b", { class: "n" }, String(n[v])))));
}

function row(w, now) {
  const key = keyOf(w), seen = !state.unseen.has(key);
  return el("tr", {
    "data-id": w.id, "data-kind": w.kind, "data-level": w.level, "data-unit": w.unit,
    class: `lv-${w.level}` + (seen ? "" : " unseen"),
    onclick: () => { markSeen(key); location.href = hrefOf(w); },
  },
  el("td", { "data-label": t("level") }, badge(w),
    seen ? null : el("span", { class: "mark", title: t(state.unseen.get(key)) }, t("unseen"))),
  el("td", { "data-label": t("rule") }, el("a", { href: hrefOf(w) }, titleOf(w))),
  el("td", { "data-label": t("case") }, w.case || "—"),
  el("td", { "data-label": t("person") }, w.person || "—"),
  el("td", { "data-label": t("unit") }, unitCell(w.unit)),
  el("td", { "data-label": t("due") }, fmtTime(w.due)),
  el("td", { class: "left", "data-due": w.due || "", "data-label": t("left") },
    fmtLeft(w.due, now)),
  el("td", { "data-label": t("stage") }, el("span", { class: `stage ${w.stage}` },
    t("stage." + w.stage))),
  el("td", { class: "msg" }, CW.lang === "zh" ? w.zh : w.en));
}

function render() {
  state.pending = false;
  const rows = visible();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  state.page = Math.min(state.page, pages - 1);
  const now = Date.now();
  document.getElementById("rows").replaceChildren(
    ...rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).map((w) => row(w, now)));
  document.getElementById("count").textContent =
    `${t(PROBLEMS_PAGE ? "open_problems" : "open_items")} ${rows.length} / ${visibleTotal()}`;
  document.getElementById("pageno").textContent = `${state.page + 1} / ${pages}`;
  document.querySelectorAll("th[data-sort]").forEach((th) => {
    th.classList.toggle("sorted", th.dataset.sort === state.f.sort);
    th.dataset.dir = th.dataset.sort === state.f.sort ? state.f.dir : "";
  });
  renderTabs();
  const unseen = [...state.unseen.keys()].filter((key) => state.map.has(key)).length;
  document.title = (unseen ? `(${unseen}) ` : "") + t(PROBLEMS_PAGE ? "problems" : "title");
  document.body.dataset.unseen = unseen;
  writeUrl();
}

// The items the page holds: on /problems, its problems only.
function visibleTotal() {
  if (!PROBLEMS_PAGE) return state.map.size;
  return [...state.map.values()].filter((w) => w.kind === "problem").length;
}

function schedule() {
  if (!state.pending) {
    state.pending = true;
    requestAnimationFrame(render);
  }
}

function update() {
  state.pending = true;
  render();
}

// ------------------------------------------------------------------ marks, sound, notices

function storageKey() {
  return "casewatch.unseen." + CW.me.id;
}

function saveUnseen() {
  localStorage.setItem(storageKey(), JSON.stringify([...state.unseen]));
}

function markSeen(key) {
  state.unseen.delete(key);
  saveUnseen();
}

function beep() {
  CW.beeps = (CW.beeps || 0) + 1;
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
  } catch (e) { /* no audio device */ }
}

function announce(w, why) {
  state.unseen.set(keyOf(w), why);
  saveUnseen();
  if (localStorage.getItem("casewatch.sound") === "on") beep();
  if (window.Notification && Notification.permission === "granted") {
    const n = new Notification(`${t(why)}：${titleOf(w)}`, {
      body: `${w.case} · ${unitName(w.unit)}`, tag: keyOf(w),
    });
    n.onclick = () => { window.focus(); location.href = hrefOf(w); };
  }
}

function onChange(before, w) {
  if (w.level === "overdue" || w.level === "violation" || w.level === "system") {
    if (!before) announce(w, "new_overdue");
    else if (before.level !== w.level && RANK[w.level] < RANK[before.level]) announce(w, "escalated");
  }
}

// ------------------------------------------------------------------ search (open and closed)

async function search(q) {
  const box = document.getElementById("results");
  if (!q || q.length < 2) { box.hidden = true; return; }
  try {
    const r = await api("/api/search?q=" + encodeURIComponent(q));
    document.getElementById("results-q").textContent = `“${q}” ${r.results.length}`;
    document.getElementById("results-rows").replaceChildren(...(r.results.length ? r.results.map(
      (w) => el("tr", { "data-id": w.id, "data-kind": w.kind, class: w.closed ? "closed" : "",
        onclick: () => { location.href = hrefOf(w); } },
      el("td", {}, badge(w)),
      el("td", {}, titleOf(w)), el("td", {}, w.case || "—"), el("td", {}, w.person || "—"),
      el("td", {}, unitCell(w.unit)),
      el("td", {}, w.closed ? t("closed") : t("stage." + w.stage)))) : [
      el("tr", {}, el("td", {}, t("no_results")))]));
    box.hidden = false;
  } catch (e) {
    document.getElementById("results-q").textContent = e.message;
    document.getElementById("results-rows").replaceChildren();
    box.hidden = false;
  }
}

// ------------------------------------------------------------------ wiring

function tick() {
  const now = Date.now();
  document.querySelectorAll("#rows td.left").forEach((td) => {
    td.textContent = fmtLeft(td.dataset.due, now);
  });
}

async function main() {
  readUrl();
  await boot();
  await loadUnits();
  header(PROBLEMS_PAGE ? "problems" : "warnings", () => { renderFilters(); update(); });
  if (!ENTERING.includes(CW.me.role)) document.getElementById("new-problem").remove();
  if (PROBLEMS_PAGE) {  // its kind is fixed; levels and measures are the warnings'
    for (const k of ["kind", "level", "measure"]) document.getElementById("f-" + k).closest("label").hidden = true;
    document.querySelector('th[data-sort="level"]').dataset.i18n = "source";
    document.querySelector('th[data-sort="rule"]').dataset.i18n = "problem_type";
    document.getElementById("f-rule").previousElementSibling.dataset.i18n = "problem_type";
    applyI18n();
  } else {
    document.getElementById("export-problems").remove();
  }
  try {
    state.unseen = new Map(JSON.parse(localStorage.getItem(storageKey()) || "[]"));
  } catch (e) { state.unseen = new Map(); }
  for (const name of FILTERS) {
    if (!document.getElementById("f-" + name)) continue;
    document.getElementById("f-" + name).addEventListener("change", (e) => {
      state.f[name] = e.target.value;
      state.page = 0;
      update();
    });
  }
  document.getElementById("searchform").addEventListener("submit", (e) => {
    e.preventDefault();
    state.f.q = document.getElementById("q").value.trim();
    state.page = 0;
    update();
    search(state.f.q);
  });
  document.getElementById("q").placeholder = t("search");
  document.querySelectorAll("th[data-sort]").forEach((th) => th.addEventListener("click", () => {
    const col = th.dataset.sort;
    state.f.dir = state.f.sort === col && state.f.dir === "asc" ? "desc" : "asc";
    state.f.sort = col;
    update();
  }));
  document.getElementById("prev").onclick = () => { state.page = Math.max(0, state.page - 1); update(); };
  document.getElementById("next").onclick = () => { state.page += 1; update(); };
  document.getElementById("seen").onclick = () => { state.unseen.clear(); saveUnseen(); update(); };
  const sound = document.getElementById("sound");
  sound.checked = localStorage.getItem("casewatch.sound") === "on";
  sound.onchange = () => localStorage.setItem("casewatch.sound", sound.checked ? "on" : "off");
  const notify = document.getElementById("notify");
  if (!window.Notification || Notification.permission !== "default" ||
      localStorage.getItem("casewatch.notify-asked")) notify.hidden = true;
  notify.onclick = async () => {  // asked once
    localStorage.setItem("casewatch.notify-asked", "1");
    notify.hidden = true;
    await Notification.requestPermission();
  };
  let filtersDirty = false;
  let loaded = false;
  const feed = new LiveFeed(
    (warnings) => {
      state.map = new Map(warnings.map((w) => [keyOf(w), w]));
      loaded = true;
      renderFilters();
      update();
    },
    (ev) => {
      if (ev.op === "upsert") {
        const before = state.map.get(keyOf(ev.w));
        if (!before) filtersDirty = true;
        state.map.set(keyOf(ev.w), ev.w);
        if (loaded) onChange(before, ev.w);
        if (!CW.units[ev.w.unit]) loadUnits().then(schedule).catch(() => {});
      } else if (ev.op === "remove") {
        state.map.delete(keyOf(ev));
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
  if (state.f.q) search(state.f.q);
  await feed.load();
}

main();
