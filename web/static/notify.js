// Delivery log: every notification's latest attempt, to whom, why, what failed; retry.
"use strict";

const NPAGE = 50;
const log = { status: "", receiver: "", unit: "", offset: 0, total: 0, rows: [] };

async function loadLog() {
  const q = new URLSearchParams({ limit: NPAGE, offset: log.offset, status: log.status,
    receiver: log.receiver, unit: log.unit });
  const r = await api("/api/notify/deliveries?" + q);
  log.total = r.total;
  log.rows = r.rows;
  renderLog();
}

function changesText(row) {
  const counts = {};
  row.changes.forEach((c) => { counts[c] = (counts[c] || 0) + 1; });
  const parts = Object.entries(counts).map(([c, n]) => `${t("ch." + c)} ${n}`);
  if (row.more) parts.push(`${t("more")} ${row.more}`);
  return parts.join(" · ");
}

function renderLog() {
  document.getElementById("nrows").replaceChildren(...log.rows.map((r) => {
    const retry = r.status === "failed" ? el("button", { class: "act retry",
      "data-id": r.notification_id, onclick: async (e) => {
        e.target.disabled = true;
        try {
          await api(`/api/notify/deliveries/${r.notification_id}/retry`, { method: "POST" });
          e.target.replaceWith(el("span", { class: "stage" }, t("retry_sent")));
        } catch (err) {
          e.target.replaceWith(el("span", { class: "err" }, err.message));
        }
      } }, t("retry")) : null;
    return el("tr", { "data-id": r.notification_id, class: "st-" + r.status },
      el("td", { class: "num" }, fmtTime(r.last_at)),
      el("td", {}, el("span", { class: "badge st " + r.status }, t("st." + r.status))),
      el("td", {}, `${r.receiver} (${r.receiver_kind})`),
      el("td", {}, r.reason), el("td", {}, r.unit_id),
      el("td", { title: r.subjects.join("\n") }, changesText(r)),
      el("td", { class: "num" }, r.attempts),
      el("td", { class: "msg" }, r.error),
      el("td", {}, retry));
  }));
  const pages = Math.max(1, Math.ceil(log.total / NPAGE));
  document.getElementById("ncount").textContent = `${t("total")} ${log.total} ${t("rows")}`;
  document.getElementById("npage").textContent = `${log.offset / NPAGE + 1} / ${pages}`;
}

async function mainLog() {
  await boot();
  header("delivery", renderLog);
  const status = document.getElementById("n-status");
  status.replaceChildren(el("option", { value: "" }, t("all")),
    ...["failed", "retrying", "sent"].map((s) => el("option", { value: s }, t("st." + s))));
  status.addEventListener("change", (e) => { log.status = e.target.value; log.offset = 0; loadLog(); });
  for (const name of ["receiver", "unit"]) {
    document.getElementById("n-" + name).addEventListener("change", (e) => {
      log[name] = e.target.value.trim(); log.offset = 0; loadLog();
    });
  }
  document.getElementById("nprev").onclick = () => { log.offset = Math.max(0, log.offset - NPAGE); loadLog(); };
  document.getElementById("nnext").onclick = () => {
    if (log.offset + NPAGE < log.total) { log.offset += NPAGE; loadLog(); }
  };
  await loadLog();
  document.body.dataset.loaded = "1";
  setInterval(loadLog, 10000);
}

mainLog();
