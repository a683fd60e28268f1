// Login: JSON POST; the server sets the HttpOnly session cookie.
"use strict";

document.getElementById("lang").onclick = () => {
  CW.lang = CW.lang === "zh" ? "en" : "zh";
  localStorage.setItem("casewatch.lang", CW.lang);
  applyI18n();
};
applyI18n();
document.getElementById("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const err = document.getElementById("err");
  err.textContent = "";
  const resp = await fetch("/login", {
    method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
    body: JSON.stringify({ user: document.getElementById("user").value,
      password: document.getElementById("password").value }),
  });
  if (resp.ok) {
    location.href = safeNext(new URLSearchParams(location.search).get("next"));
  } else {
    const body = await resp.json().catch(() => ({}));
    err.textContent = resp.status === 401 ? t("login_failed") : errorText(body, resp.status);
  }
});
