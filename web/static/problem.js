// One problem explained: source, type and its basis, who found it, and the loop.
"use strict";

const pid = decodeURIComponent(location.pathname.split("/").pop());
let data = null;

function render() {
  const p = data.problem, type = data.type || { basis: [] };
  const zh = CW.lang === "zh";
  const actions = actionRows(data.actions);
  const panel = loopPanel(p.stage, data.can, act);
  document.getElementById("explain").replaceChildren(
    el("a", { href: "/problems", class: "back" }, t("problems")),
    el("header", { class: "card head" },
      el("span", { class: "src " + p.source }, t("src." + p.source)),
      el("h1", {}, zh ? p.title_zh : p.title_en),
      el("p", { class: "msg", id: "description" }, p.description),
      el("dl", {},
        el("dt", {}, t("case")), el("dd", {}, p.case || "—"),
        el("dt", {}, t("person")), el("dd", {}, p.person || "—"),
        el("dt", {}, t("unit")), el("dd", {}, unitCell(p.unit)),
        el("dt", {}, t("found_by")), el("dd", { id: "finder" }, `${p.found_by} · ${roleLabel(p.found_by_role)}`),
        el("dt", {}, t("found_at")), el("dd", {}, fmtTime(p.found_at)),
        el("dt", {}, t("rectify_by")), el("dd", { id: "due" }, fmtTime(p.due)),
        el("dt", {}, t("points")), el("dd", {}, type.points ?? "—"))),
    el("div", { class: "cols" },
      el("div", {},
        section("basis", ...(type.basis.length ? type.basis.map((b) => el("blockquote", {},
          el("strong", {}, b.ref), " ", b.text_zh)) : [el("p", {}, t("none"))])),
        section("attachments", p.attachments.length
          ? el("ul", {}, ...p.attachments.map((a) => el("li", {}, a))) : el("p", {}, t("none"))),
        p.evidence.length ? section("evidence_ids", el("p", {}, p.evidence.join("、"))) : null),
      el("div", {},
        panel,
        section("actions", actions.length
          ? table(["at", "action", "actor", "role", "note"], actions)
          : el("p", { id: "no-actions" }, t("no_actions"))))),
  );
}

async function load() {
  try {
    data = await api("/api/problems/" + encodeURIComponent(pid));
  } catch (e) {
    document.getElementById("explain").replaceChildren(el("p", { class: "err" }, e.message));
    return;
  }
  render();
  document.body.dataset.loaded = "1";
}

function act(action, button) {
  return submitAction("/api/problems/" + encodeURIComponent(pid), action, button, load);
}

async function main() {
  await boot();
  await loadUnits();
  header("problems", () => data && render());
  document.getElementById("conn").remove();
  await load();
  followItem("problem", pid, load);
}

main();
