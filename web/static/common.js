// Shared by every page: language, API calls with the CSRF token, time formatting, header.
"use strict";

const I18N = {
  zh: {
    title: "执法监督时限预警", warnings: "预警", measures: "强制措施", screen: "大屏",
    logout: "退出", lang: "English", all: "全部", unit: "单位", level: "级别", rule: "规则",
    measure: "措施", case: "案件", person: "人员", due: "期限", left: "剩余/超期",
    stage: "处置", message: "内容", open: "未闭环预警", live: "实时", reconnecting: "重连中…",
    approaching: "临期", overdue: "超期", violation: "违规",
    "status.open": "未结", "status.resolved": "已结", "status.withdrawn": "已撤回",
    "stage.new": "待确认", "stage.acknowledged": "已确认", "stage.rectified": "已整改待核查",
    "stage.verified": "核查通过", "stage.returned": "已退回",
    "act.acknowledge": "确认", "act.rectify": "登记整改", "act.verify": "核查通过",
    "act.return": "退回", note: "整改情况 / 退回理由", prev: "上一页", next: "下一页",
    page: "页", basis: "法律依据", events: "依据事件", timeline: "预警经过", actions: "处置记录",
    current_measure: "当前强制措施", none: "无", back: "返回列表", since: "起始",
    days_left: "剩余天数", overdue_by: "超期", remaining: "剩余", at: "时间", actor: "操作人",
    event_type: "事件类型", event_id: "事件编号", persons: "人", open_by_unit: "各单位未闭环预警",
    new_per_hour: "每小时新增预警", under_measure: "在押/在控人员", overdue_now: "当前超期",
    open_total: "未闭环预警", sort: "排序", total: "共", rows: "条", login: "登录",
    user: "用户编号", password: "密码", login_failed: "用户编号或密码错误",
    too_many: "尝试次数过多，请稍后再试", action_done: "已提交", rule_kind: "类型",
    statutory: "法定", policy: "规范", late: "逾期办结", no_actions: "暂无处置记录",
    "m.summons": "传唤/拘传", "m.detention": "刑事拘留", "m.arrest": "逮捕",
    "m.bail": "取保候审", "m.rs": "监视居住", "m.prosecution": "移送审查起诉",
    note_required: "请填写整改情况或退回理由", loop_closed: "已闭环",
    action: "操作", role: "角色", status: "状态", until: "截止/解除",
    catalogue_version: "规则版本",
    system: "系统", "view.all": "全部", "view.confirm": "待确认", "view.rectify": "待整改",
    "view.verify": "待核查", search: "按案件/人员编号搜索", search_go: "搜索",
    closed: "已闭环", export_csv: "导出 CSV", export_xlsx: "导出 Excel", left_filter: "剩余时间",
    "left.overdue": "已超期", "left.24h": "24小时内", "left.72h": "3天内", "left.later": "3天以上",
    unseen: "新", mark_seen: "全部标为已阅", sound: "声音提示", notify: "桌面通知",
    escalated: "升级为超期", new_overdue: "新超期预警", unregistered: "未登记",
    audit: "审计", actor: "操作人", address: "地址", target: "对象", rows_n: "条数",
    from: "起", to: "止", apply: "查询", "a.login": "登录", "a.login_failed": "登录失败",
    "a.logout": "退出", "a.read_warning": "查阅预警", "a.read_measures": "查阅措施台账",
    "a.search": "搜索", "a.export": "导出", "a.read_audit": "查阅审计",
    pending: "提交中…", banner_kafka: "消息服务（Kafka）中断，实时预警可能延迟",
    banner_clickhouse: "数据库（ClickHouse）不可用，历史与说明页可能无法显示",
    banner_ch_behind: "数据库写入滞后", banner_pipeline: "预警计算滞后，新事件尚未处理完",
    results: "搜索结果", no_results: "无结果", unit_name: "单位名称",
    "err.http": "请求失败",
    "err.login_required": "请先登录", "err.bad_login": "用户编号或密码错误",
    "err.bad_request": "请求格式错误", "err.bad_user_id": "用户编号格式错误",
    "err.json_required": "请求须为 JSON", "err.cross_site": "拒绝跨站请求",
    "err.too_many_attempts": "尝试次数过多，请稍后再试", "err.busy": "服务繁忙，请稍后再试",
    "err.bad_csrf": "页面已过期，请刷新后重试", "err.malformed_csrf": "安全令牌格式错误，请刷新页面",
    "err.forbidden": "无权访问", "err.not_found": "未找到该记录", "err.loop_closed": "该预警已闭环",
    "err.not_allowed": "当前阶段不能进行此操作", "err.taken": "他人已先行处置，请刷新",
    "err.action_expected": "请选择操作并填写说明", "err.note_required": "请填写整改情况或退回理由",
    "err.kafka_unavailable": "消息服务不可用，操作未提交，请稍后重试",
    "err.not_confirmed": "已提交，尚未确认，请稍后刷新",
    "err.backend_unavailable": "服务暂不可用，请稍后重试",
    "err.audit_unavailable": "审计日志不可用，暂停查阅",
    "err.too_many_streams": "实时连接过多，请关闭多余页面", "err.server_busy": "实时连接已满，请稍后",
    "err.bad_query": "查询条件错误", "err.query_too_short": "请至少输入 2 个字符",
    "err.starting": "系统正在启动，请稍候", "err.internal": "服务器内部错误",
    problems: "问题", new_problem: "登记问题", source: "来源", problem_type: "问题类型",
    description: "问题描述", found_by: "发现人", found_at: "发现时间", attachments: "附件",
    attachments_hint: "附件文号或存放位置，每行一个（不上传文件）", category: "类别",
    lookup: "查询案件", case_found: "案件所属单位", submit: "提交", export: "导出",
    open_problems: "未闭环问题", points: "分值", inspector: "督察", supervisor: "督查",
    unit_role: "单位", problem_saved: "已登记", no_problems: "暂无问题",
    show_closed: "含已核查", evidence_ids: "依据事件", events_n: "条事件记录",
    "src.platform": "平台预警", "src.self_check": "单位自查", "src.cross_check": "交叉检查",
    "src.patrol": "网上巡查", "src.case_review": "案件评查", "src.visit": "社会化访评",
    "a.read_problem": "查阅问题", "a.read_problems": "查阅问题列表", "a.export_problems": "导出问题",
    "a.lookup_case": "查询案件",
    kind: "类别", "kind.warning": "预警", "kind.problem": "问题", problem: "问题",
    open_items: "未闭环", rectify_by: "整改期限", rule_or_type: "规则 / 问题类型",
    export_problems: "导出全部问题（含已核查）",
    "err.problem_invalid": "问题记录有误", "err.problem_closed": "该问题已闭环",
    delivery: "推送记录", silences: "静默", receiver: "接收方", reason: "原因", attempts: "尝试次数",
    last_at: "最近尝试", error: "错误", items: "内容", retry: "重试", "st.sent": "已送达",
    "st.failed": "失败", "st.retrying": "重试中", retry_sent: "已提交重试",
    silence_new: "新建静默", hours: "时长（小时）", silence_reason: "静默原因", create: "创建",
    expire: "提前结束", active: "生效中", ended: "已结束", created_by: "创建人",
    expired_by: "结束人", scope: "范围", starts: "开始", ends: "结束",
    "ch.new": "新增", "ch.escalated": "升级", "ch.changed": "变化", "ch.resolved": "已解除",
    "ch.step": "逐级提醒", "ch.notice": "节点告知", "ch.bulletin": "日通报",
    more: "另有",
  },
  en: {
    title: "casewatch — legal time limits", warnings: "Warnings", measures: "Measures",
    screen: "Big screen", logout: "Log out", lang: "中文", all: "All", unit: "Unit",
    level: "Level", rule: "Rule", measure: "Measure", case: "Case", person: "Person",
    due: "Due", left: "Time left", stage: "Loop", message: "Message", open: "Open warnings",
    live: "live", reconnecting: "reconnecting…", approaching: "approaching",
    overdue: "overdue", violation: "violation", "status.open": "open",
    "status.resolved": "resolved", "status.withdrawn": "withdrawn", "stage.new": "new",
    "stage.acknowledged": "acknowledged", "stage.rectified": "rectified, to verify",
    "stage.verified": "verified", "stage.returned": "returned",
    "act.acknowledge": "Acknowledge", "act.rectify": "Record rectification",
    "act.verify": "Verify", "act.return": "Return", note: "What was done / reason",
    prev: "Previous", next: "Next", page: "page", basis: "Legal basis",
    events: "Events it rests on", timeline: "Timeline", actions: "Actions",
    current_measure: "Current measures", none: "none", back: "Back to list", since: "Since",
    days_left: "Days left", overdue_by: "overdue", remaining: "left", at: "At",
    actor: "Actor", event_type: "Event type", event_id: "Event id", persons: "persons",
    open_by_unit: "Open warnings by unit", new_per_hour: "New warnings per hour",
    under_measure: "Persons under each measure", overdue_now: "Overdue now",
    open_total: "Open warnings", sort: "Sort", total: "Total", rows: "rows", login: "Log in",
    user: "User id", password: "Password", login_failed: "Wrong user id or password",
    too_many: "Too many attempts, try again later", action_done: "Recorded",
    rule_kind: "Kind", statutory: "statutory", policy: "policy", late: "done late",
    no_actions: "No actions yet", "m.summons": "summons", "m.detention": "detention",
    "m.arrest": "arrest", "m.bail": "bail", "m.rs": "residential surveillance",
    "m.prosecution": "transferred for prosecution",
    note_required: "A note is required", loop_closed: "closed",
    action: "Action", role: "Role", status: "Status", until: "Until",
    catalogue_version: "Rules version",
    system: "system", "view.all": "All", "view.confirm": "To acknowledge",
    "view.rectify": "To rectify", "view.verify": "To verify",
    search: "Search by case or person id", search_go: "Search", closed: "closed",
    export_csv: "Export CSV", export_xlsx: "Export Excel", left_filter: "Time left",
    "left.overdue": "overdue", "left.24h": "within 24 h", "left.72h": "within 3 days",
    "left.later": "more than 3 days", unseen: "new", mark_seen: "Mark all seen",
    sound: "Sound", notify: "Desktop notifications", escalated: "escalated to overdue",
    new_overdue: "new overdue warning", unregistered: "unregistered", audit: "Audit",
    actor: "Actor", address: "Address", target: "Target", rows_n: "Rows", from: "From",
    to: "To", apply: "Search", "a.login": "login", "a.login_failed": "login failed",
    "a.logout": "logout", "a.read_warning": "read warning", "a.read_measures": "read measures",
    "a.search": "search", "a.export": "export", "a.read_audit": "read audit",
    pending: "sending…", banner_kafka: "Kafka unreachable: live warnings may be late",
    banner_clickhouse: "ClickHouse unavailable: history and explanations may fail",
    banner_ch_behind: "ClickHouse writes are behind",
    banner_pipeline: "the worker is behind: new events not yet evaluated",
    results: "Results", no_results: "nothing found", unit_name: "Unit name",
    "err.http": "request failed",
    problems: "Problems", new_problem: "Record a problem", source: "Source",
    problem_type: "Problem type", description: "Description", found_by: "Found by",
    found_at: "Found at", attachments: "Attachments",
    attachments_hint: "Document numbers or where the files are kept, one per line (no upload)",
    category: "Category", lookup: "Look up case", case_found: "Case belongs to",
    submit: "Submit", export: "Export", open_problems: "Open problems", points: "Points",
    inspector: "inspector", supervisor: "supervisor", unit_role: "unit",
    problem_saved: "Recorded", no_problems: "No problems", show_closed: "Include verified",
    evidence_ids: "Events", events_n: "events",
    "src.platform": "rules", "src.self_check": "self-check", "src.cross_check": "cross-check",
    "src.patrol": "online patrol", "src.case_review": "case review",
    "src.visit": "satisfaction visit",
    "a.read_problem": "read problem", "a.read_problems": "read problems",
    "a.export_problems": "export problems", "a.lookup_case": "look up case",
    kind: "Kind", "kind.warning": "warning", "kind.problem": "problem", problem: "problem",
    open_items: "Open", rectify_by: "Rectify by", rule_or_type: "Rule / problem type",
    export_problems: "Export all problems (verified too)",
    "err.problem_invalid": "the problem record is invalid",
    "err.problem_closed": "the problem's loop is closed",
    delivery: "Deliveries", silences: "Silences", receiver: "Receiver", reason: "Why",
    attempts: "Attempts", last_at: "Last attempt", error: "Error", items: "Items",
    retry: "Retry", "st.sent": "sent", "st.failed": "failed", "st.retrying": "retrying",
    retry_sent: "Retry requested", silence_new: "New silence", hours: "Hours",
    silence_reason: "Reason", create: "Create", expire: "End now", active: "active",
    ended: "ended", created_by: "Created by", expired_by: "Ended by", scope: "Scope",
    starts: "Starts", ends: "Ends", "ch.new": "new", "ch.escalated": "escalated",
    "ch.changed": "changed", "ch.resolved": "resolved", "ch.step": "escalation",
    "ch.notice": "key node", "ch.bulletin": "daily bulletin", more: "more",
  },
};

const CW = {
  lang: localStorage.getItem("casewatch.lang") || "zh",
  me: null,
  info: null,
  units: {},
  tz: "Asia/Shanghai",
};

// Where a login may send the browser: a path of this origin only (never another host,
// whatever slashes, backslashes or schemes `next` holds).
function safeNext(next) {
  if (!next || !next.startsWith("/")) return "/";
  try {
    const url = new URL(next, location.origin);
    if (url.origin !== location.origin) return "/";
    return url.pathname + url.search + url.hash;
  } catch (e) {
    return "/";
  }
}

// The message of a server error in the page's language (web/errors.py codes).
function errorText(body, status) {
  const code = body && body.code;
  if (code && I18N[CW.lang]["err." + code]) return t("err." + code);
  if (CW.lang === "zh" && body && body.error_zh) return body.error_zh;
  return (body && body.error) || t("err.http") + " " + status;
}

function t(key) {
  return (I18N[CW.lang] && I18N[CW.lang][key]) || I18N.zh[key] || key;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

async function api(path, options) {
  const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
  if (opts.method && opts.method !== "GET" && CW.me) {
    opts.headers[CW.me.csrf_header] = CW.me.csrf;
    opts.headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(path, opts);
  if (resp.status === 401) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    throw new Error("login required");
  }
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error(errorText(body, resp.status));
    err.status = resp.status;
    err.code = body.code;
    throw err;
  }
  return body;
}

function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: CW.tz, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

function fmtLeft(iso, now) {
  if (!iso) return "";
  let s = Math.round((new Date(iso).getTime() - now) / 1000);
  const late = s < 0;
  s = Math.abs(s);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  const zh = CW.lang === "zh";
  let text;
  if (d > 0) text = zh ? `${d}天${h}时` : `${d}d ${h}h`;
  else if (h > 0) text = zh ? `${h}时${m}分` : `${h}h ${m}m`;
  else text = zh ? `${m}分${sec}秒` : `${m}m ${sec}s`;
  return late ? `${t("overdue_by")} ${text}` : `${t("remaining")} ${text}`;
}

// The explanation pages' parts: a titled card, a small table with translated headers, the
// loop (the stage and the actions the user may take now), the rows of the actions taken.
function section(titleKey, ...content) {
  return el("section", { class: "card", id: "sec-" + titleKey },
    el("h2", { "data-i18n": titleKey }, t(titleKey)), ...content);
}

function table(headKeys, rows) {
  return el("table", { class: "grid small" },
    el("thead", {}, el("tr", {}, ...headKeys.map((k) => el("th", {}, t(k))))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
}

function roleLabel(role) { return t(role === "unit" ? "unit_role" : role); }

function loopPanel(stage, can, act) {
  return el("section", { class: "card", id: "loop" },
    el("h2", {}, `${t("stage")}: `,
      el("span", { id: "stage", class: `stage ${stage}` }, t("stage." + stage))),
    can.length ? el("div", { class: "actform" },
      el("textarea", { id: "note", rows: 3, placeholder: t("note") }),
      el("div", {}, ...can.map((a) => el("button", {
        class: "act " + a, id: "do-" + a, onclick: (e) => act(a, e.target),
      }, t("act." + a)))),
      el("div", { id: "acterr", class: "err" })) : null);
}

// Take an action of the loop on the item at `path` (a warning's or a problem's): the
// buttons wait while the server reads the action back, then `reload()` shows the new
// stage; a 202 (not confirmed yet) leaves the page to its stream.
async function submitAction(path, action, button, reload) {
  const note = document.getElementById("note").value.trim();
  if ((action === "rectify" || action === "return") && !note) {
    document.getElementById("acterr").textContent = t("note_required");
    return;
  }
  const buttons = document.querySelectorAll("#loop button.act");
  buttons.forEach((b) => { b.disabled = true; });
  button.classList.add("pending");
  button.textContent = t("pending");
  let answer;
  try {
    answer = await api(path + "/actions", {
      method: "POST", body: JSON.stringify({ action, note }),
    });
  } catch (e) {
    buttons.forEach((b) => { b.disabled = false; });
    button.classList.remove("pending");
    button.textContent = t("act." + action);
    document.getElementById("acterr").textContent = e.message;
    return;
  }
  if (answer.pending) {
    document.getElementById("acterr").textContent = t("err.not_confirmed");
    return;  // the stream reloads the page when the action is read back
  }
  await reload();
}

// Reload an explanation when its item changes (an action elsewhere, a new state): the
// stream of this one item only (`kind` warning or problem).
function followItem(kind, id, reload) {
  const es = new EventSource(`/api/stream?${kind}=${encodeURIComponent(id)}`);
  es.onmessage = () => reload();
  es.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
  es.addEventListener("logout", () => { location.href = "/login"; });
}

function actionRows(actions) {
  return actions.map((a) => [fmtTime(a.acted_at),
    el("span", { class: "act " + a.action }, t("act." + a.action)), a.actor_id,
    roleLabel(a.actor_role), a.note || "—"]);
}

function ruleTitle(ruleId) {
  const r = CW.info && CW.info.rules[ruleId];
  if (!r) return ruleId;
  return CW.lang === "zh" ? r.title_zh : r.title_en;
}

function measureLabel(name) {
  return name ? t("m." + name) : "";
}

function applyI18n(root) {
  (root || document).querySelectorAll("[data-i18n]").forEach((n) => {
    n.textContent = t(n.dataset.i18n);
  });
  document.documentElement.lang = CW.lang === "zh" ? "zh-CN" : "en";
}

function unitName(id) {
  const u = CW.units[id];
  if (u && u.registered) return u.name;
  return `${id}（${t("unregistered")}）`;
}

function unitCell(id) {
  const u = CW.units[id];
  return el("span", { class: "unit" + (u && u.registered ? "" : " unregistered"), title: id },
    u && u.registered ? u.name : id,
    u && u.registered ? null : el("small", { class: "unreg" }, t("unregistered")));
}

async function loadUnits() {
  CW.units = (await api("/api/units")).units;
}

// A banner on every page when Kafka or ClickHouse is behind or down (event: status).
function showStatus(st) {
  CW.healthSeen = Date.now();
  document.body.dataset.health = st.state || "";
  const conn = document.getElementById("conn");
  if (conn && conn.classList.contains("live")) conn.classList.toggle("degraded", st.kafka === "down");
  let banner = document.getElementById("banner");
  const problems = [];
  if (st.kafka === "down") problems.push(t("banner_kafka"));
  if (st.clickhouse === "down") problems.push(t("banner_clickhouse"));
  if (st.clickhouse === "behind") problems.push(t("banner_ch_behind"));
  if (st.pipeline === "behind") problems.push(t("banner_pipeline"));
  if (!problems.length) { if (banner) banner.remove(); return; }
  if (!banner) {
    banner = el("div", { id: "banner", class: "banner", role: "alert" });
    const nav = document.querySelector("nav.top");
    if (nav) nav.after(banner); else document.body.prepend(banner);
  }
  banner.textContent = problems.join("；") +
    (st.feed_age_s !== undefined ? ` (${st.feed_age_s} s)` : "");
}

function header(active, onLang) {
  const nav = el("nav", { class: "top" },
    el("span", { class: "brand", "data-i18n": "title" }),
    ...(CW.me.nav || []).map((n) => el("a", { href: n.path, class: active === n.key ? "on" : "",
      "data-i18n": n.key, id: "nav-" + n.key })),
    el("span", { class: "spacer" }),
    el("span", { id: "conn", class: "conn" }),
    el("span", { class: "who", id: "who" }, `${CW.me.id} · ${CW.me.role}`),
    el("button", { id: "lang", "data-i18n": "lang", onclick: () => {
      CW.lang = CW.lang === "zh" ? "en" : "zh";
      localStorage.setItem("casewatch.lang", CW.lang);
      applyI18n();
      if (onLang) onLang();
    } }),
    el("button", { id: "logout", "data-i18n": "logout", onclick: async () => {
      await api("/logout", { method: "POST" }).catch(() => {});
      location.href = "/login";
    } }),
  );
  document.body.prepend(nav);
  applyI18n();
  watchHealth();
}

// Pages without a live stream (or whose stream is silent) ask /healthz every 15 s.
function watchHealth() {
  setInterval(async () => {
    if (CW.healthSeen && Date.now() - CW.healthSeen < 20000) return;
    try {
      const resp = await fetch("/healthz", { credentials: "same-origin" });
      showStatus(await resp.json());
    } catch (e) {
      showStatus({ kafka: "down", clickhouse: "down" });
    }
  }, 15000);
}

async function boot() {
  const [me, info] = await Promise.all([api("/api/me"), api("/api/rules")]);
  CW.me = me;
  CW.info = info;
  CW.tz = me.tz || info.tz || CW.tz;
  return me;
}

// Live feed: snapshot then SSE from its sequence number; resync when the server says so.
class LiveFeed {
  constructor(onSnapshot, onEvent, onState) {
    this.onSnapshot = onSnapshot;
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.last = null;
    this.es = null;
  }
  async load() {
    const snap = await api("/api/warnings");
    this.last = snap.seq;
    this.onSnapshot(snap.warnings);
    this.connect();
  }
  connect() {
    if (this.es) this.es.close();
    const es = new EventSource("/api/stream?since=" + this.last);
    this.es = es;
    es.onopen = () => this.onState("live");
    es.onmessage = (e) => {
      this.last = e.lastEventId;
      this.onEvent(JSON.parse(e.data));
    };
    es.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
    es.addEventListener("logout", () => {
      es.close();
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    });
    es.addEventListener("resync", () => {
      es.close();
      this.load().catch(() => this.retry());
    });
    es.onerror = () => {
      this.onState("reconnecting");
      if (es.readyState === EventSource.CLOSED) this.retry();
    };
  }
  retry() {
    setTimeout(async () => {
      try {
        await api("/api/me");  // 401 -> login page
        this.connect();
      } catch (e) {
        this.retry();
      }
    }, 1000);
  }
}
