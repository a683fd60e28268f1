"""The security holes of issue 15, each reproduced in-process against the console's real
auth, API, open set and live feed (tests/support/web_app.py). Hole numbers are the
issue's."""

import asyncio
import json
import logging
import socket
import threading
import time
import tracemalloc

import pytest
from aiohttp.test_utils import TestClient, TestServer

import web.auth
from tests.support.web_app import PASSWORDS, console, item, problem
from web.ratelimit import LoginLimiter


def run(coro):
    return asyncio.run(coro)


async def client_of(c) -> TestClient:
    cl = TestClient(TestServer(c.app))
    await cl.start_server()
    return cl


async def login(cl, user, password=None, **headers):
    resp = await cl.post("/login", json={"user": user, "password": password or PASSWORDS[user]},
                         headers=headers)
    return resp


async def csrf(cl) -> str:
    return (await (await cl.get("/api/me")).json())["csrf"]


# ------------------------------------------------------------------ 1: concurrent guesses

class CountingVerify:
    """web.auth.verify_password, slowed down, counting checks and their overlap."""

    def __init__(self, real, seconds=0.05):
        self.real, self.seconds = real, seconds
        self.checks = self.running = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, user, password):
        with self.lock:
            self.checks += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.seconds)
            return self.real(user, password)
        finally:
            with self.lock:
                self.running -= 1


def test_hole1_a_burst_of_guesses_is_counted_before_the_hash_is_checked(tmp_path, monkeypatch):
    verify = CountingVerify(web.auth.verify_password)
    monkeypatch.setattr(web.auth, "verify_password", verify)
    c = console(tmp_path)

    async def burst():
        cl = await client_of(c)
        try:
            guesses = [f"wrong-{n}" for n in range(39)] + [PASSWORDS["sup01"]]
            answers = await asyncio.gather(*(login(cl, "sup01", g) for g in guesses))
            return [a.status for a in answers]
        finally:
            await cl.close()

    statuses = run(burst())
    assert statuses[-1] != 200, "the right password inside a burst of guesses logged in"
    assert statuses.count(429) >= 34
    assert verify.checks <= 5, f"{verify.checks} hash checks for one burst"


def test_hole1_hash_checks_are_bounded_overall(tmp_path, monkeypatch):
    verify = CountingVerify(web.auth.verify_password, seconds=0.1)
    monkeypatch.setattr(web.auth, "verify_password", verify)
    c = console(tmp_path, trusted_proxies="127.0.0.1/32")

    async def spread():
        cl = await client_of(c)
        try:
            await asyncio.gather(*(
                login(cl, f"user{n}", "x", **{"X-Forwarded-For": f"192.0.2.{n}"})
                for n in range(30)))
        finally:
            await cl.close()

    run(spread())
    assert verify.most <= 2, f"{verify.most} argon2 checks ran at once"


def test_hole1_a_success_does_not_clear_the_address_counter(tmp_path):
    c = console(tmp_path, login_failures=3)

    async def go():
        cl = await client_of(c)
        try:
            for n in range(2):
                assert (await login(cl, "u3301", f"bad{n}")).status == 401
            assert (await login(cl, "u3302")).status == 200  # the attacker's own account
            return [(await login(cl, "sup01", f"guess{n}")).status for n in range(3)]
        finally:
            await cl.close()

    assert run(go())[-1] == 429


# ------------------------------------------------------------------ 2: the screen role

def test_hole2_the_screen_role_reads_only_the_big_screen(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("W1", unit="U3301", case="C-SECRET", person="P-SECRET"))

    async def go():
        cl = await client_of(c)
        try:
            assert (await login(cl, "screen01")).status == 200
            out = {}
            for path in ("/api/warnings", "/api/warnings/W1", "/api/stream", "/api/measures"):
                out[path] = (await cl.get(path)).status
            screen = await cl.get("/api/screen")
            return out, screen.status, await screen.text()
        finally:
            await cl.close()

    refused, status, body = run(go())
    assert all(s in (403, 404) for s in refused.values()), refused
    assert status == 200 and "SECRET" not in body and "W1" not in body


def test_hole2_a_unit_user_gets_its_own_units_figures_only(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("W1", unit="U3301"))
    c.open_set.apply_item(item("W2", unit="U3401"))

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "u3301")
            return await (await cl.get("/api/screen")).json()
        finally:
            await cl.close()

    figures = run(go())
    assert set(figures["open_by_unit_level"]) == {"U3301"}
    assert figures["open_total"] == 1


# ------------------------------------------------------------------ 3: login CSRF

@pytest.mark.parametrize("headers, body", [
    ({"Content-Type": "text/plain"}, '{"user":"u3302","password":"pw-u3302"}'),
    ({"Content-Type": "application/json", "Origin": "http://evil.example"},
     '{"user":"u3302","password":"pw-u3302"}'),
    ({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
     '{"user":"u3302","password":"pw-u3302"}'),
])
def test_hole3_a_cross_site_login_is_refused(tmp_path, headers, body):
    c = console(tmp_path)

    async def go():
        cl = await client_of(c)
        try:
            resp = await cl.post("/login", data=body, headers=headers)
            return resp.status, resp.cookies
        finally:
            await cl.close()

    status, cookies = run(go())
    assert status in (403, 415) and not cookies


def test_hole3_a_same_origin_login_is_accepted(tmp_path):
    c = console(tmp_path)

    async def go():
        cl = await client_of(c)
        try:
            origin = str(cl.make_url("/")).rstrip("/")
            return (await login(cl, "u3302", Origin=origin,
                                **{"Sec-Fetch-Site": "same-origin"})).status
        finally:
            await cl.close()

    assert run(go()) == 200


# ------------------------------------------------------------------ 4: lockout by anyone

def test_hole4_behind_a_trusted_proxy_users_do_not_share_one_address(tmp_path):
    c = console(tmp_path, trusted_proxies="127.0.0.1/32")

    async def go():
        cl = await client_of(c)
        try:
            for n in range(5):
                await login(cl, "u3302", f"typo{n}", **{"X-Forwarded-For": "192.0.2.2"})
            return (await login(cl, "sup01", **{"X-Forwarded-For": "192.0.2.1"})).status
        finally:
            await cl.close()

    assert run(go()) == 200


def test_hole4_failures_for_a_user_delay_but_do_not_lock_out(tmp_path):
    c = console(tmp_path, trusted_proxies="127.0.0.1/32")

    async def go():
        cl = await client_of(c)
        try:
            for n in range(6):
                await login(cl, "sup01", f"attack{n}", **{"X-Forwarded-For": "192.0.2.66"})
            resp = await login(cl, "sup01", **{"X-Forwarded-For": "192.0.2.1"})
            if resp.status == 429:
                wait = int(resp.headers["Retry-After"])
                assert wait <= 5, f"sup01 locked out for {wait} s by someone else's guesses"
                await asyncio.sleep(wait)
                resp = await login(cl, "sup01", **{"X-Forwarded-For": "192.0.2.1"})
            return resp.status
        finally:
            await cl.close()

    assert run(go()) == 200


# ------------------------------------------------------------------ 6: limiter memory

def test_hole6_expired_limiter_keys_are_freed_and_their_number_capped():
    clock = [100.0]
    limiter = LoginLimiter(5, 60, lambda: clock[0])
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for n in range(5):
            key = f"user:{n}" + "x" * 900_000
            limiter.begin(key)
            limiter.end(key)
        del key
        clock[0] += 61
        limiter.wait("addr:someone-else", progressive=False)
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert held < 100_000, f"{held} bytes held after the window"
    for n in range(200_000):
        limiter.begin(f"addr:{n}")
        limiter.end(f"addr:{n}")
    assert len(limiter) <= 100_000


def test_hole6_a_long_user_id_is_refused_and_not_logged_whole(tmp_path, caplog):
    c = console(tmp_path)

    async def go():
        cl = await client_of(c)
        try:
            return (await login(cl, "x" * 900_000, "pw")).status
        finally:
            await cl.close()

    with caplog.at_level(logging.INFO):
        status = run(go())
    assert status == 400
    assert max((len(r.getMessage()) for r in caplog.records), default=0) < 1000


# ------------------------------------------------------------------ 7: sessions

def test_hole7_a_copied_cookie_is_dead_after_logout(tmp_path):
    c = console(tmp_path)

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "u3301")
            cookie = "; ".join(f"{m.key}={m.value}" for m in cl.session.cookie_jar)
            await cl.post("/logout", headers={"X-CSRF-Token": await csrf(cl)})
            return (await cl.get("/api/warnings", headers={"Cookie": cookie})).status
        finally:
            await cl.close()

    assert run(go()) == 401


def test_hole7_an_idle_session_ends(tmp_path):
    c = console(tmp_path, session_idle_minutes=0.02)

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "u3301")
            assert (await cl.get("/api/warnings")).status == 200
            await asyncio.sleep(1.5)
            return (await cl.get("/api/warnings")).status
        finally:
            await cl.close()

    assert run(go()) == 401


def test_hole7_the_stream_closes_when_its_session_ends(tmp_path):
    c = console(tmp_path)

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "u3301")
            token = await csrf(cl)
            resp = await cl.get("/api/stream")
            assert resp.status == 200
            await cl.post("/logout", headers={"X-CSRF-Token": token})
            started = time.monotonic()
            try:
                await asyncio.wait_for(resp.content.read(), 5)
            except TimeoutError:
                return None
            return time.monotonic() - started
        finally:
            await cl.close()

    closed_after = run(go())
    assert closed_after is not None, "the stream kept delivering after logout"


# ------------------------------------------------------------------ 8: stream bounds

def test_hole8_streams_per_session_are_capped(tmp_path):
    c = console(tmp_path)

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "u3301")
            responses = [await cl.get("/api/stream") for _ in range(10)]
            statuses = [r.status for r in responses]
            for r in responses:
                r.close()
            return statuses
        finally:
            await cl.close()

    statuses = run(go())
    assert 429 in statuses and statuses.count(200) <= 4


def test_hole8_stalled_clients_are_cut_and_hold_little(tmp_path):
    c = console(tmp_path, stream_write_timeout_seconds=2.0, streams_per_session=50)

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "sup01")
            cookie = "; ".join(f"{m.key}={m.value}" for m in cl.session.cookie_jar)
            socks = []
            for _ in range(20):  # stalled: ask for the stream, never read
                s = socket.create_connection((cl.host, cl.port))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.sendall(f"GET /api/stream HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n"
                          .encode())
                socks.append(s)
            while len(c.open_set.subscribers) < 20:
                await asyncio.sleep(0.05)
            for n in range(60_000):
                c.open_set.apply_item(item(f"W{n % 3000}", level=("overdue", "approaching")[
                    (n // 3000) % 2]))
                if n % 500 == 0:
                    await asyncio.sleep(0)
            queued = sum(s.queue.qsize() for s in c.open_set.subscribers)
            await asyncio.sleep(4.0)
            left = len(c.open_set.subscribers)
            for s in socks:
                s.close()
            return queued, left
        finally:
            await cl.close()

    queued, left = run(go())
    assert queued <= 20 * 1000, f"{queued} changes queued for 20 stalled clients"
    assert left == 0, f"{left} stalled streams still open after the write timeout"


# ------------------------------------------------------------------ 9: actions

def test_hole9_a_slow_send_does_not_hold_up_other_warnings(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("WA"))
    c.open_set.apply_item(item("WB"))
    c.producer.delays["WA"] = 3.0

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "sup01")
            token = await csrf(cl)
            act = {"action": "acknowledge"}
            slow = asyncio.create_task(cl.post("/api/warnings/WA/actions", json=act,
                                               headers={"X-CSRF-Token": token}))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            resp = await cl.post("/api/warnings/WB/actions", json=act,
                                 headers={"X-CSRF-Token": token})
            took = time.monotonic() - started
            await slow
            return resp.status, took
        finally:
            await cl.close()

    status, took = run(go())
    assert status == 201 and took < 1.0, f"an action on another warning took {took:.1f} s"


def test_hole9_with_kafka_down_an_action_fails_fast(tmp_path):
    c = console(tmp_path, action_send_timeout_seconds=1.0)
    c.open_set.apply_item(item("WA"))
    c.producer.hang = True

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "sup01")
            token = await csrf(cl)
            resp = await asyncio.wait_for(cl.post(
                "/api/warnings/WA/actions", json={"action": "acknowledge"},
                headers={"X-CSRF-Token": token}), 10)
            return resp.status
        finally:
            await cl.close()

    assert run(go()) == 503


@pytest.mark.parametrize("kind", ["warning", "problem"])
def test_hole9_two_servers_do_not_both_accept_the_same_step(tmp_path, kind):
    """Two servers on one actions topic take the same step of a warning, or of a problem
    (issue 12), at once: each action carries its step, the first on the topic wins, and a
    server answers 201 only for its own; both keep the one action."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = console(tmp_path / "a"), console(tmp_path / "b")
    for c in (one, two):
        if kind == "warning":
            c.open_set.apply_item(item("X1"))
        else:
            c.ctx.problems.apply_problem(problem("X1", unit="U3301"))
        c.producer.delays["X1"] = 0.2
    log: list = []
    for c in (one, two):  # one topic: every action reaches both, in one order
        c.producer.share(log, [one.open_set, two.open_set])
    path = f"/api/{kind}s/X1/actions"

    async def go():
        a, b = await client_of(one), await client_of(two)
        try:
            await login(a, "u3301")
            await login(b, "sup01")
            ta, tb = await csrf(a), await csrf(b)
            ra, rb = await asyncio.gather(
                a.post(path, json={"action": "acknowledge"}, headers={"X-CSRF-Token": ta}),
                b.post(path, json={"action": "acknowledge"}, headers={"X-CSRF-Token": tb}))
            return sorted([ra.status, rb.status])
        finally:
            await a.close()
            await b.close()

    assert run(go()) == [201, 409]
    key = (kind, "X1")
    assert one.open_set.stage_of(key) == two.open_set.stage_of(key) == "acknowledged"
    assert len(one.open_set.actions_of(key)) == len(two.open_set.actions_of(key)) == 1


# ------------------------------------------------------------------ 11: smaller holes

def test_hole11_a_malformed_csrf_header_is_400_with_the_policy(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("WA"))

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "sup01")
            reader, writer = await asyncio.open_connection(cl.host, cl.port)
            cookie = "; ".join(f"{m.key}={m.value}" for m in cl.session.cookie_jar)
            body = b'{"action":"acknowledge"}'
            writer.write(b"POST /api/warnings/WA/actions HTTP/1.1\r\nHost: x\r\n"
                         b"Cookie: " + cookie.encode() + b"\r\n"
                         b"X-CSRF-Token: \xc3\xa9t\xc3\xa9\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                         b"Connection: close\r\n\r\n" + body)
            await writer.drain()
            head = (await reader.read()).split(b"\r\n\r\n")[0].decode("latin-1")
            writer.close()
            return head
        finally:
            await cl.close()

    head = run(go())
    assert head.startswith("HTTP/1.1 400"), head.splitlines()[0]
    assert "Content-Security-Policy" in head


def test_hole11_out_of_scope_and_unknown_ids_answer_alike(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("THEIRS", unit="U3401"))

    async def go():
        cl = await client_of(c)
        try:
            await login(cl, "u3301")
            token = await csrf(cl)
            out = []
            for wid in ("THEIRS", "NO-SUCH"):
                out.append((await cl.get(f"/api/warnings/{wid}")).status)
                out.append((await cl.post(f"/api/warnings/{wid}/actions",
                                          json={"action": "acknowledge"},
                                          headers={"X-CSRF-Token": token})).status)
            return out
        finally:
            await cl.close()

    assert run(go()) == [404, 404, 404, 404]


def test_hole11_healthz_without_a_session_is_minimal(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("W1"))

    async def go():
        cl = await client_of(c)
        try:
            return await (await cl.get("/healthz")).json()
        finally:
            await cl.close()

    body = run(go())
    assert body == {"state": "ok"}, body


def test_healthz_tells_a_signed_in_user_what_the_banner_needs(tmp_path):
    c = console(tmp_path)

    async def go():
        cl = await client_of(c)
        try:
            out = []
            for user in ("u3301", "sup01"):
                await login(cl, user)
                out.append(await (await cl.get("/healthz")).json())
            return out
        finally:
            await cl.close()

    unit, sup = run(go())
    assert unit["kafka"] == "ok" and not {"open", "clients", "sink_lag"} & set(unit)
    assert {"open", "clients", "seq", "sink_lag"} <= set(sup)


def test_hole11_hsts_with_the_secure_setting(tmp_path):
    c = console(tmp_path, secure_cookie=True)

    async def go():
        cl = await client_of(c)
        try:
            return (await cl.get("/login")).headers
        finally:
            await cl.close()

    assert "max-age=" in run(go()).get("Strict-Transport-Security", "")


def test_hole11_a_warning_moved_to_another_unit_leaves_the_old_units_pages():
    from web.open_set import OpenSet
    from web.scope import Scope

    s = OpenSet()
    old = s.subscribe(Scope.exact({"U3301"}))
    start = s.seq
    s.apply_item(item("W1", unit="U3301"))
    s.apply_item(item("W1", unit="U3302"))
    got = [json.loads(old.queue.get_nowait()[1].split(b"data: ", 1)[1])
           for _ in range(old.queue.qsize())]
    assert got[-1] == {"op": "remove", "kind": "warning", "id": "W1"}
    replay = [json.loads(d) for _, d in s.since(start, Scope.exact({"U3301"}))]
    assert replay[-1] == {"op": "remove", "kind": "warning", "id": "W1"}
