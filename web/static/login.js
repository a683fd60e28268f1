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
    const next = new URLSearchParams(location.search).get("next") || "/";
    location.href = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  } else {
    err.textContent = t(resp.status === 429 ? "too_many" : "login_failed");
  }
});
