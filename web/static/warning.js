// One warning explained: rule, legal basis, events, measures, timeline, actions, the loop.
"use strict";

const wid = decodeURIComponent(location.pathname.split("/").pop());
let data = null;

// "2026.12-1 (sha256:5c79df9c1d69…)": the whole hash is in the element's title.
function shortVersion(v) {
  return v ? v.replace(/(sha256:[0-9a-f]{12})[0-9a-f]+/, "$1…") : "—";
}

function render() {
  const w = data.warning, rule = data.rule || { basis: [] };
  const zh = CW.lang === "zh";
  const root = document.getElementById("explain");
  const actions = actionRows(data.actions);
  const panel = loopPanel(w.stage, data.can, act);
  root.replaceChildren(
    el("a", { href: "/", class: "back", "data-i18n": "back" }, t("back")),
    el("header", { class: "card head" },
      el("span", { class: `badge ${w.level}` }, t(w.level)),
      el("h1", {}, ruleTitle(w.rule)),
      el("span", { class: "status" }, t("status." + w.status)),
      el("p", { class: "msg" }, zh ? w.zh : w.en),
      el("dl", {},
        el("dt", {}, t("case")), el("dd", {}, w.case),
        el("dt", {}, t("person")), el("dd", {}, w.person || "—"),
        el("dt", {}, t("unit")), el("dd", {}, unitCell(w.unit)),
        el("dt", {}, t("due")), el("dd", {}, fmtTime(w.due)),
        el("dt", {}, t("left")), el("dd", {}, w.status === "open" ? fmtLeft(w.due, Date.now()) : "—"),
        el("dt", {}, t("rule_kind")), el("dd", {}, t(rule.kind || "statutory")),
        el("dt", {}, t("catalogue_version")), el("dd", {
          id: "catalogue-version", title: w.catalogue_version,
        }, shortVersion(w.catalogue_version)))),
    el("div", { class: "cols" },
      el("div", {},
        section("basis", ...rule.basis.map((b) => el("blockquote", {},
          el("strong", {}, b.ref), " ", b.text_zh))),
        section("events", data.events.length ? table(["event_type", "at", "event_id", "person"],
          data.events.map((e) => [zh ? (CW.info.events[e.type] || e.type) : e.type,
            fmtTime(e.at), e.id, e.person || "—"])) : t("none")),
        section("current_measure", data.measures.length ? table(
          ["measure", "since", "due", "until"],
          data.measures.map((m) => [measureLabel(m.measure), fmtTime(m.since), fmtTime(m.due),
            m.active ? "✔" : fmtTime(m.until)])) : t("none"))),
      el("div", {},
        panel,
        section("actions", actions.length
          ? table(["at", "action", "actor", "role", "note"], actions)
          : el("p", { id: "no-actions" }, t("no_actions"))),
        section("timeline", table(["at", "level", "status", "due"],
          data.timeline.map((s) => [fmtTime(s.at), t(s.level), t("status." + s.status),
            fmtTime(s.due)]))))),
  );
  applyI18n(root);
}

async function load() {
  try {
    data = await api("/api/warnings/" + encodeURIComponent(wid));
  } catch (e) {
    document.getElementById("explain").replaceChildren(
      el("a", { href: "/", class: "back" }, t("back")), el("p", { class: "err" }, e.message));
    return;
  }
  render();
}

function act(action, button) {
  return submitAction("/api/warnings/" + encodeURIComponent(wid), action, button, load);
}

async function main() {
  await boot();
  await loadUnits();
  header("warnings", () => data && render());
  document.getElementById("conn").remove();
  await load();
  followItem("warning", wid, load);
}

main();
