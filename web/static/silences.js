// Silences: mute a rule, a unit or a case for some hours, with a reason; end one early.
"use strict";

let silenceRows = [];

async function loadSilences() {
  silenceRows = (await api("/api/notify/silences")).silences;
  renderSilences();
}

function scopeText(s) {
  return [s.rule_id && `${t("rule")} ${s.rule_id}`, s.unit_id && `${t("unit")} ${s.unit_id}`,
    s.case_id && `${t("case")} ${s.case_id}`].filter(Boolean).join(" · ");
}

function renderSilences() {
  document.getElementById("srows").replaceChildren(...silenceRows.map((s) => {
    const end = s.active ? el("button", { class: "act return", onclick: async (e) => {
      e.target.disabled = true;
      await api(`/api/notify/silences/${s.silence_id}/expire`, { method: "POST" });
      setTimeout(loadSilences, 1500);
    } }, t("expire")) : null;
    return el("tr", { "data-id": s.silence_id },
      el("td", {}, el("span", { class: "stage " + (s.active ? "acknowledged" : "") },
        t(s.active ? "active" : "ended"))),
      el("td", {}, scopeText(s)), el("td", {}, fmtTime(s.starts_at)),
      el("td", {}, fmtTime(s.expired_at || s.ends_at)), el("td", { class: "msg" }, s.reason),
      el("td", {}, s.created_by), el("td", {}, s.expired_by || ""), el("td", {}, end));
  }));
}

async function mainSilences() {
  await boot();
  header("silences", renderSilences);
  document.getElementById("silence-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = (id) => document.getElementById(id).value.trim();
    const err = document.getElementById("s-err");
    err.textContent = "";
    try {
      await api("/api/notify/silences", { method: "POST", body: JSON.stringify({
        rule_id: value("s-rule"), unit_id: value("s-unit"), case_id: value("s-case"),
        hours: Number(value("s-hours")), reason: value("s-reason") }) });
      setTimeout(loadSilences, 1500);
    } catch (ex) {
      err.textContent = ex.message;
    }
  });
  await loadSilences();
  document.body.dataset.loaded = "1";
  setInterval(loadSilences, 15000);
}

mainSilences();
