// The audit trail (supervisors): who read which warning or person, exported what, logged
// in or failed to; filters in the URL.
"use strict";

const APAGE = 50;
const ACTIONS = ["login", "login_failed", "logout", "read_warning", "read_measures", "search",
  "export", "read_audit"];
const FILTERS = ["actor", "action", "target", "address", "since", "until"];
const audit = { offset: 0, total: 0 };

function params() {
  const p = new URLSearchParams();
  for (const k of FILTERS) {
    const v = document.getElementById("a-" + k).value.trim();
    if (v) p.set(k, k === "since" || k === "until" ? new Date(v).toISOString() : v);
  }
  return p;
}

async function load() {
  const p = params();
  history.replaceState(null, "", "/audit" + (p.toString() ? "?" + p : ""));
  p.set("limit", APAGE);
  p.set("offset", audit.offset);
  let r;
  try {
    r = await api("/api/audit?" + p);
  } catch (e) {
    document.getElementById("acount").textContent = e.message;
    return;
  }
  audit.total = r.total;
  document.getElementById("arows").replaceChildren(...r.rows.map((a) => el("tr", {
    class: a.action === "login_failed" ? "lv-overdue" : "" },
  el("td", { "data-label": t("at") }, fmtTime(a.at)),
  el("td", { "data-label": t("actor") }, a.actor_id),
  el("td", { "data-label": t("role") }, a.actor_role || "—"),
  el("td", { "data-label": t("address") }, a.address),
  el("td", { "data-label": t("action") }, t("a." + a.action)),
  el("td", { "data-label": t("target"), class: "msg" }, a.target || "—"),
  el("td", { "data-label": t("case") }, a.case_id || "—"),
  el("td", { "data-label": t("person") }, a.person_id || "—"),
  el("td", { "data-label": t("unit") }, a.unit_id ? unitName(a.unit_id) : "—"),
  el("td", { "data-label": t("rows_n"), class: "num" }, a.rows))));
  document.getElementById("acount").textContent = `${t("total")} ${r.total} ${t("rows")}`;
  const pages = Math.max(1, Math.ceil(r.total / APAGE));
  document.getElementById("apage").textContent = `${audit.offset / APAGE + 1} / ${pages}`;
}

async function main() {
  await boot();
  await loadUnits();
  header("audit", load);
  const action = document.getElementById("a-action");
  const fill = () => action.replaceChildren(el("option", { value: "" }, t("all")),
    ...ACTIONS.map((a) => el("option", { value: a }, t("a." + a))));
  fill();
  const q = new URLSearchParams(location.search);
  for (const k of FILTERS) {
    if (!q.get(k)) continue;
    const v = q.get(k);
    document.getElementById("a-" + k).value = k === "since" || k === "until"
      ? new Date(new Date(v).getTime() + 8 * 3600e3).toISOString().slice(0, 16) : v;
  }
  document.getElementById("afilters").addEventListener("submit", (e) => {
    e.preventDefault();
    audit.offset = 0;
    load();
  });
  document.getElementById("aprev").onclick = () => {
    audit.offset = Math.max(0, audit.offset - APAGE); load();
  };
  document.getElementById("anext").onclick = () => {
    if (audit.offset + APAGE < audit.total) { audit.offset += APAGE; load(); }
  };
  await load();
}

main();
