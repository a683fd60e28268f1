// Big screen (大屏): read-only wall display, ECharts served by casewatch itself.
"use strict";

const LEVEL_COLORS = { violation: "#c23531", overdue: "#f06a3c", approaching: "#e6b422" };
const charts = {};

function chart(id) {
  if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), "dark",
    { renderer: "canvas" });
  return charts[id];
}

function draw(d) {
  document.getElementById("n-open").textContent = d.open_total;
  document.getElementById("n-overdue").textContent = d.overdue_now;
  document.getElementById("n-problems").textContent = d.problems_open;
  document.getElementById("n-persons").textContent =
    Object.values(d.under_measure).reduce((a, b) => a + b, 0);
  document.getElementById("at").textContent = fmtTime(d.at);
  const units = Object.keys(d.open_by_unit_level).sort();
  chart("c-units").setOption({
    backgroundColor: "transparent",
    title: { text: t("open_by_unit"), left: "center" },
    tooltip: { trigger: "axis" },
    legend: { top: 28, data: ["violation", "overdue", "approaching"].map(t) },
    grid: { left: 50, right: 20, top: 70, bottom: 40 },
    xAxis: { type: "category", data: units.map((u) => (d.unit_names && d.unit_names[u]) || u),
      axisLabel: { rotate: 45 } },
    yAxis: { type: "value" },
    series: ["violation", "overdue", "approaching"].map((lv) => ({
      name: t(lv), type: "bar", stack: "open", barMaxWidth: 48, itemStyle: { color: LEVEL_COLORS[lv] },
      data: units.map((u) => d.open_by_unit_level[u][lv] || 0),
    })),
  }, true);
  const counts = {};
  d.new_per_hour.forEach((r) => {
    const k = new Date(r.hour).getTime();
    counts[k] = (counts[k] || 0) + r.count;
  });
  const last = Math.floor(new Date(d.at).getTime() / 3600000) * 3600000;
  const hours = Array.from({ length: 24 }, (_, i) => last - (23 - i) * 3600000);
  const perHour = hours.map((h) => counts[h] || 0);
  chart("c-hourly").setOption({
    backgroundColor: "transparent",
    title: { text: t("new_per_hour"), left: "center" },
    tooltip: { trigger: "axis" },
    grid: { left: 50, right: 20, top: 50, bottom: 40 },
    xAxis: { type: "category", data: hours.map((h) => fmtTime(new Date(h).toISOString()).slice(11)) },
    yAxis: { type: "value" },
    series: [{ type: "bar", barMaxWidth: 24, itemStyle: { color: "#4c8dff" }, data: perHour }],
  }, true);
  chart("c-measures").setOption({
    backgroundColor: "transparent",
    title: { text: t("under_measure"), left: "center" },
    tooltip: { trigger: "item" },
    series: [{
      type: "pie", radius: ["35%", "65%"], top: 30,
      label: { formatter: "{b}\n{c}" },
      data: Object.entries(d.under_measure).map(([m, n]) => ({ name: measureLabel(m), value: n })),
    }],
  }, true);
}

async function refresh() {
  try {
    draw(await api("/api/screen"));
    document.body.dataset.drawn = "1";
  } catch (e) {
    document.getElementById("at").textContent = e.message;
  }
}

// A wall display is enrolled once with /screen#token=<screen token> (casewatch web
// --screen-token NAME): it then holds a session for the token's lifetime, revocable.
async function enrol() {
  const m = location.hash.match(/token=([A-Za-z0-9_\-]+)/);
  if (!m) return;
  history.replaceState(null, "", location.pathname);  // the token leaves the address bar
  const resp = await fetch("/screen/enrol", {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: m[1] }),
  });
  if (!resp.ok) document.body.dataset.enrol = "refused";
}

async function main() {
  await enrol();
  await boot();
  applyI18n();
  document.getElementById("lang").onclick = () => {
    CW.lang = CW.lang === "zh" ? "en" : "zh";
    localStorage.setItem("casewatch.lang", CW.lang);
    applyI18n();
    refresh();
  };
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  await refresh();
  setInterval(refresh, 5000);
}

main();
