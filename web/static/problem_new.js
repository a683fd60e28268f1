// Record a problem: the catalogue as a picker, the case looked up, attachments as references.
"use strict";

let catalogue = null;

function pad(n) { return String(n).padStart(2, "0"); }

function chinaNow() {
  // the form's datetime-local is China time, whatever the browser's zone
  const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: CW.tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", hour12: false }).formatToParts(new Date()).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour === "24" ? "00" : p.hour}:${p.minute}`;
}

function title(x) { return CW.lang === "zh" ? x.title_zh : x.title_en; }

function fillPickers() {
  const source = document.getElementById("f-source");
  const allowed = CW.me.role === "unit" ? ["self_check"] : catalogue.entered_sources;
  source.replaceChildren(...allowed.map((s) => el("option", { value: s }, t("src." + s))));
  const type = document.getElementById("f-type");
  const current = type.value;
  type.replaceChildren(el("option", { value: "" }, "—"),
    ...Object.entries(catalogue.categories).map(([code, c]) => el("optgroup",
      { label: CW.lang === "zh" ? c.zh : c.en },
      ...catalogue.types.filter((x) => x.category === code).map((x) =>
        el("option", { value: x.code }, `${title(x)}（${x.points}）`)))));
  type.value = current;
  showType();
}

function showType() {
  const chosen = catalogue.types.find((x) => x.code === document.getElementById("f-type").value);
  document.getElementById("type-info").replaceChildren(...(chosen ? [
    el("div", {}, `${t("points")} ${chosen.points} · ${t("category")} `,
      CW.lang === "zh" ? catalogue.categories[chosen.category].zh
        : catalogue.categories[chosen.category].en),
    ...chosen.basis.map((b) => el("blockquote", {}, el("strong", {}, b.ref), " ", b.text_zh)),
  ] : []));
}

async function lookup() {
  const box = document.getElementById("case-info");
  const id = document.getElementById("f-case").value.trim();
  const person = document.getElementById("f-person");
  person.replaceChildren(el("option", { value: "" }, "—"));
  if (!id) { box.textContent = ""; return; }
  try {
    const c = await api("/api/cases/" + encodeURIComponent(id));
    box.className = "note ok";
    box.textContent = `${t("case_found")} ${c.units.join("、")} · ${c.events} ${t("events_n")}` +
      ` · ${fmtTime(c.first)} – ${fmtTime(c.last)}`;
    person.append(...c.persons.map((p) => el("option", { value: p }, p)));
    const unit = document.getElementById("f-unit");
    if (!unit.value && c.units.length === 1) unit.value = c.units[0];
  } catch (e) {
    box.className = "note err";
    box.textContent = e.message;
  }
}

async function submit(event) {
  event.preventDefault();
  const errors = document.getElementById("f-errors");
  errors.replaceChildren();
  const found = document.getElementById("f-found-at").value;
  const body = {
    source: document.getElementById("f-source").value,
    unit_id: document.getElementById("f-unit").value.trim(),
    case_id: document.getElementById("f-case").value.trim() || null,
    person_id: document.getElementById("f-person").value || null,
    problem_type: document.getElementById("f-type").value,
    description: document.getElementById("f-description").value.trim(),
    found_at: found ? `${found}:00+08:00` : null,
    attachments: document.getElementById("f-attachments").value.split("\n")
      .map((x) => x.trim()).filter(Boolean),
  };
  const resp = await fetch("/api/problems", {
    method: "POST", credentials: "same-origin", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", [CW.me.csrf_header]: CW.me.csrf },
  });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    errors.replaceChildren(...(data.reasons || [data.error || resp.statusText]).map((r) =>
      el("li", {}, r)));
    return;
  }
  document.getElementById("f-done").textContent = t("problem_saved");
  location.href = "/problem/" + encodeURIComponent(data.problem.id);
}

async function main() {
  await boot();
  catalogue = await api("/api/problem-types");
  header("problems", () => {
    fillPickers();
    document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => {
      n.placeholder = t(n.dataset.i18nPlaceholder);
    });
  });
  fillPickers();
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => {
    n.placeholder = t(n.dataset.i18nPlaceholder);
  });
  if (CW.me.role === "unit" && CW.me.units.length) {
    document.getElementById("f-unit").value = CW.me.units[0];
  }
  document.getElementById("f-found-at").value = chinaNow();
  document.getElementById("f-type").addEventListener("change", showType);
  document.getElementById("f-lookup").addEventListener("click", lookup);
  document.getElementById("problem-form").addEventListener("submit", submit);
  document.body.dataset.loaded = "1";
}

main();
