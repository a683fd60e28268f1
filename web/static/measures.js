// Measure board: persons under each coercive measure now, per unit, since when, next due.
"use strict";

const PAGE = 100;
const board = { sort: "due", unit: "", measure: "", offset: 0, total: 0, rows: [] };

async function load() {
  const q = new URLSearchParams({ sort: board.sort, limit: PAGE, offset: board.offset });
  if (board.unit) q.set("unit", board.unit);
  if (board.measure) q.set("measure", board.measure);
  const r = await api("/api/measures?" + q);
  board.total = r.total;
  board.rows = r.rows;
  render();
}

function daysLeft(due) {
  if (!due) return "—";
  const days = (new Date(due).getTime() - Date.now()) / 86400000;
  return (Math.abs(days) < 0.05 ? 0 : days).toFixed(1);
}

function render() {
  document.getElementById("mrows").replaceChildren(...board.rows.map((r) => {
    const left = r.due ? (new Date(r.due).getTime() - Date.now()) / 86400000 : null;
    return el("tr", { class: left !== null && left < 0 ? "lv-overdue" : left !== null && left < 1 ? "lv-approaching" : "" },
      el("td", {}, measureLabel(r.measure)), el("td", {}, unitCell(r.unit)), el("td", {}, r.case),
      el("td", {}, r.person), el("td", {}, fmtTime(r.since)), el("td", {}, fmtTime(r.due)),
      el("td", { class: "num" }, daysLeft(r.due)));
  }));
  const pages = Math.max(1, Math.ceil(board.total / PAGE));
  document.getElementById("mcount").textContent = `${t("total")} ${board.total} ${t("rows")}`;
  document.getElementById("mpage").textContent = `${board.offset / PAGE + 1} / ${pages}`;
  document.querySelectorAll("th[data-sort]").forEach((th) => {
    th.classList.toggle("sorted", th.dataset.sort === board.sort);
  });
}

async function main() {
  await boot();
  await loadUnits();
  header("measures", render);
  const units = document.getElementById("m-unit");
  const unitList = CW.me.role === "unit" ? CW.me.units : [];
  units.replaceChildren(el("option", { value: "" }, t("all")),
    ...unitList.map((u) => el("option", { value: u }, unitName(u))));
  if (CW.me.role !== "unit") {
    units.replaceWith(el("input", { id: "m-unit", placeholder: "U3301", size: 8 }));
  }
  document.getElementById("m-unit").addEventListener("change", (e) => {
    board.unit = e.target.value.trim(); board.offset = 0; load();
  });
  const measure = document.getElementById("m-measure");
  measure.replaceChildren(el("option", { value: "" }, t("all")),
    ...Object.keys(CW.info.measures).map((m) => el("option", { value: m }, measureLabel(m))));
  measure.addEventListener("change", (e) => { board.measure = e.target.value; board.offset = 0; load(); });
  document.querySelectorAll("th[data-sort]").forEach((th) => {
    th.addEventListener("click", () => { board.sort = th.dataset.sort; board.offset = 0; load(); });
  });
  document.getElementById("mprev").onclick = () => { board.offset = Math.max(0, board.offset - PAGE); load(); };
  document.getElementById("mnext").onclick = () => {
    if (board.offset + PAGE < board.total) { board.offset += PAGE; load(); }
  };
  await load();
  setInterval(load, 30000);
}

main();
