"""Web console push benchmark: 1,000 concurrent event-stream clients, 10,000 open warnings.

Measures the time from a warning's message (the moment the bench hands it to the Kafka
producer) to its arrival at each SSE client of `casewatch web`, against a baseline
measured in the same run: a plain aiokafka consumer of the same topic in the same process
(what any reader of the topic gets). Also the web server's CPU share and peak memory (RSS)
while pushing, the snapshot (`GET /api/warnings`) with 10,000 open warnings held, and
stalled clients: 20 streams that never read while many changes are pushed must be cut at
their queue or write-timeout caps, so the server's memory does not grow with them.

The streams are read by `--client-procs` processes (reading 1,000 streams in one Python
process measured the client, not the server). Needs the local stack (deploy/stack start);
no worker: the bench publishes warning states
itself. Uses its own topics, app id, database and port, removes them afterwards, and
writes its section of docs/benchmarks.md.

    .venv/bin/python bench/sse_bench.py [--clients 1000] [--probes 200] [--open 10000]
        [--stalled 20] [--stall-changes 60000] [--port 18150]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import re
import secrets
import socket
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from clickhouse_driver import Client
from kafka import KafkaAdminClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from schemas.timefmt import CST  # noqa: E402
from schemas.warning import LegalBasis, Warning  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.topics import ensure_topics  # noqa: E402
from tests.support.web_process import WebProcess  # noqa: E402
from web.users import hash_password  # noqa: E402

OUT = REPO / "bench" / "out"
PORT = "18150"
PASSWORD = "bench-" + secrets.token_hex(4)
TICKS = os.sysconf("SC_CLK_TCK")
CHROMIUM = "/usr/bin/chromium"


def warning(wid: str, unit: str) -> bytes:
    now = datetime.now(CST)
    return Warning(
        warning_id=wid, rule_id="det_family_notice", rule_kind="statutory", level="overdue",
        status="open", late=None, case_id=f"C-{wid}", person_id="P1", unit_id=unit,
        due_at=now - timedelta(hours=1), resolved_at=None, changed_at=now - timedelta(hours=1),
        evidence=[f"E-{wid}"],
        basis=[LegalBasis(ref="CPL 85②", text_zh="应当在拘留后二十四小时以内，通知被拘留人的家属")],
        message_zh="拘留后应在24小时内通知家属", message_en="family notice within 24 hours",
    ).model_dump_json().encode()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


PROBE = re.compile(rb'"id":"(probe\d+)"')


def stream_clients(base_url: str, cookie: str, since: int, n: int, probes: int,
                   ready, out) -> None:
    """A client process: `n` streams; puts n in `ready` once all are open, then the
    (probe id, arrival time) of every probe each stream receives in `out`."""
    asyncio.run(_stream_clients(base_url, cookie, since, n, probes, ready, out))


async def _stream_clients(base_url, cookie, since, n, probes, ready, out) -> None:
    arrivals: list[tuple[str, float]] = []
    connected = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     headers={"Cookie": cookie}) as session:
        async def one() -> None:
            nonlocal connected
            async with session.get(f"{base_url}/api/stream?since={since}",
                                   timeout=aiohttp.ClientTimeout(total=None)) as resp:
                assert resp.status == 200, resp.status
                connected += 1
                if connected == n:
                    ready.put(n)
                got, buf = 0, b""
                async for chunk in resp.content.iter_any():
                    arrived = time.time()
                    buf += chunk
                    *lines, buf = buf.split(b"\n")
                    for line in lines:
                        if b"probe" in line and line.startswith(b"data: "):
                            m = PROBE.search(line)
                            if m:
                                arrivals.append((m.group(1).decode(), arrived))
                                got += 1
                    if got >= probes:
                        return

        try:
            await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), 900)
        finally:
            out.put(arrivals)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class Bench:
    def __init__(self, args):
        self.args = args
        tag = uuid.uuid4().hex[:6]
        self.dir = OUT / f"sse-{tag}"
        self.dir.mkdir(parents=True, exist_ok=True)
        users = self.dir / "users.toml"
        users.write_text(f'[[users]]\nid = "bench"\nrole = "supervisor"\n'
                         f'password_hash = "{hash_password(PASSWORD)}"\n', encoding="utf-8")
        self.env = {
            "CASEWATCH_TOPIC_PREFIX": f"ssebench{tag}.",
            "CASEWATCH_APP_ID": f"ssebench{tag}",
            "CASEWATCH_CLICKHOUSE_DATABASE": f"ssebench_{tag}",
            "CASEWATCH_WEB_PORT": str(args.port),
            "CASEWATCH_WEB_USERS_FILE": str(users),
            "CASEWATCH_WEB_SECRET": secrets.token_urlsafe(32),
            "CASEWATCH_WEB_SESSIONS_FILE": str(self.dir / "sessions.sqlite3"),
            # one bench session holds every stream: lift the per-session cap for it
            "CASEWATCH_WEB_STREAMS_PER_SESSION": str(args.clients + args.stalled + 10),
            "CASEWATCH_WEB_STREAMS_MAX": str(args.clients + args.stalled + 100),
            "CASEWATCH_WEB_STREAM_WRITE_TIMEOUT_SECONDS": "10",
        }
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.topic = self.settings.topic("warnings")
        self.web = WebProcess(self.env, self.dir / "web.log")
        self.sent: dict[str, float] = {}
        self.baseline: list[float] = []
        self.arrivals: list[list[tuple[str, float]]] = []
        self.peak_rss = 0

    async def sample_rss(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.peak_rss = max(self.peak_rss, rss_bytes(self.web.pid))
            await asyncio.sleep(0.2)

    async def preload(self, producer: AIOKafkaProducer) -> None:
        for n in range(self.args.open):
            await producer.send(self.topic, key=f"C-pre{n}".encode(),
                                value=warning(f"pre{n}", f"U{3301 + n % 24}"))
        await producer.flush()

    async def baseline_consumer(self, started: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(self.topic, bootstrap_servers=self.settings.kafka_bootstrap,
                                    group_id=None, auto_offset_reset="latest",
                                    fetch_max_wait_ms=50, isolation_level="read_committed")
        await consumer.start()
        try:
            await consumer.seek_to_end()
            started.set()
            while len(self.baseline) < self.args.probes:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    arrived = time.time()
                    for m in records:
                        wid = json.loads(m.value)["warning_id"]
                        if wid.startswith("probe"):
                            self.baseline.append(arrived - self.sent[wid])
        finally:
            await consumer.stop()

    async def run(self) -> dict:
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap,
                                    linger_ms=0, acks=1)
        await producer.start()
        await self.preload(producer)
        self.web.start(ready_timeout=300)
        connector = aiohttp.TCPConnector(limit=0)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as session:
            login = await session.post(f"{self.web.base_url}/login",
                                       json={"user": "bench", "password": PASSWORD})
            assert login.status == 200, await login.text()
            t0 = time.monotonic()
            snap = await session.get(f"{self.web.base_url}/api/warnings")
            body = await snap.read()
            snapshot_s = time.monotonic() - t0
            snapshot = json.loads(body)
            cookie = "; ".join(f"{c.key}={c.value}" for c in jar)
            loop = asyncio.get_running_loop()
            mp = multiprocessing.get_context("spawn")
            ready, out = mp.Queue(), mp.Queue()
            per = [self.args.clients // self.args.client_procs
                   + (i < self.args.clients % self.args.client_procs)
                   for i in range(self.args.client_procs)]
            procs = [mp.Process(target=stream_clients, args=(
                self.web.base_url, cookie, snapshot["seq"], n, self.args.probes, ready, out))
                for n in per if n]
            for proc in procs:
                proc.start()
            for _ in procs:
                await loop.run_in_executor(None, ready.get, True, 300)
            stop_sampling = asyncio.Event()
            sampler = asyncio.create_task(self.sample_rss(stop_sampling))
            started = asyncio.Event()
            base = asyncio.create_task(self.baseline_consumer(started))
            await started.wait()
            cpu0, wall0 = cpu_seconds(self.web.pid), time.monotonic()
            for n in range(self.args.probes):
                wid = f"probe{n}"
                value = warning(wid, f"U{3301 + n % 24}")
                self.sent[wid] = time.time()
                await producer.send_and_wait(self.topic, key=f"C-{wid}".encode(), value=value)
                await asyncio.sleep(1 / self.args.rate)
            self.arrivals = [await loop.run_in_executor(None, out.get, True, 900)
                             for _ in procs]
            await asyncio.wait_for(base, 600)
            for proc in procs:
                proc.join(10)
            cpu = cpu_seconds(self.web.pid) - cpu0
            wall = time.monotonic() - wall0
            stop_sampling.set()
            await sampler
        stalled = await self.stalled(producer, cookie)
        await producer.stop()
        page = await self.page_timings() if Path(CHROMIUM).exists() else {}
        sse = [arrived - self.sent[wid] for got in self.arrivals for wid, arrived in got]
        return {
            "open": len(snapshot["warnings"]), "snapshot_s": snapshot_s,
            "snapshot_bytes": len(body), "clients": self.args.clients,
            "probes": self.args.probes, "rate": self.args.rate, "deliveries": len(sse),
            "sse_p50": pct(sse, 0.5), "sse_p99": pct(sse, 0.99), "sse_max": max(sse),
            "base_p50": pct(self.baseline, 0.5), "base_p99": pct(self.baseline, 0.99),
            "base_max": max(self.baseline), "cpu_share": cpu / wall, "wall_s": wall,
            "mean": statistics.fmean(sse), "peak_rss": self.peak_rss, **stalled, **page,
        }

    async def stalled(self, producer: AIOKafkaProducer, cookie: str) -> dict:
        """Streams that never read while `stall_changes` changes are pushed: the server's
        memory before, at its peak, and whether the stalled streams were cut."""
        host, port = "127.0.0.1", self.args.port
        socks = []
        for _ in range(self.args.stalled):
            s = socket.create_connection((host, port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(f"GET /api/stream HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n"
                      .encode())
            socks.append(s)
        await asyncio.sleep(2)
        before = rss_bytes(self.web.pid)
        peak = before
        for n in range(self.args.stall_changes):
            level = ("overdue", "approaching")[(n // 1000) % 2]
            value = warning(f"pre{n % self.args.open}", f"U{3301 + n % 24}").replace(
                b'"overdue"', f'"{level}"'.encode())
            await producer.send(self.topic, key=f"C-pre{n % self.args.open}".encode(),
                                value=value)
            if n % 2000 == 0:
                peak = max(peak, rss_bytes(self.web.pid))
        await producer.flush()
        deadline = time.monotonic() + 60
        open_streams = None
        while time.monotonic() < deadline:
            peak = max(peak, rss_bytes(self.web.pid))
            open_streams = self.stalled_open(cookie)
            if open_streams == 0:
                break
            await asyncio.sleep(1)
        after = rss_bytes(self.web.pid)
        for s in socks:
            s.close()
        return {"stalled": self.args.stalled, "stall_changes": self.args.stall_changes,
                "stall_rss_before": before, "stall_rss_peak": peak, "stall_rss_after": after,
                "stalled_left_open": open_streams}

    def stalled_open(self, cookie: str) -> int | None:
        """Streams the server still holds (`/healthz` with the bench's supervisor session)."""
        import urllib.request

        req = urllib.request.Request(f"{self.web.base_url}/healthz", headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return int(json.loads(resp.read()).get("clients", -1))
        except OSError:
            return None

    async def page_timings(self) -> dict:
        """The list page in Chromium with every open warning loaded: time to the first
        rows, and to re-render after a filter change."""
        from playwright.async_api import async_playwright

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = await browser.new_context(base_url=self.web.base_url)
            await context.request.post("/login", data={"user": "bench", "password": PASSWORD})
            page = await context.new_page()
            t0 = time.monotonic()
            await page.goto("/")
            await page.wait_for_selector("body[data-conn=live]")
            await page.wait_for_selector("#rows tr")
            first_rows = time.monotonic() - t0
            t0 = time.monotonic()
            await page.select_option("#f-unit", "U3305")
            await page.wait_for_function(
                "[...document.querySelectorAll('#rows tr')].every(r => r.dataset.unit === 'U3305')")
            refilter = time.monotonic() - t0
            await browser.close()
        return {"page_first_rows_s": first_rows, "page_filter_s": refilter}

    def close(self) -> None:
        self.web.stop()
        try:
            Client("127.0.0.1").execute(
                f"DROP DATABASE IF EXISTS {self.settings.clickhouse.database}")
        except Exception:
            pass
        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        prefix = self.env["CASEWATCH_TOPIC_PREFIX"]
        admin.delete_topics([t for t in admin.list_topics() if t.startswith(prefix)])
        admin.close()


def report(r: dict) -> str:
    ms = 1000
    return "\n".join([
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores (shared), "
        f"Python {platform.python_version()}, local Kafka 4; `bench/sse_bench.py` "
        f"(`--clients {r['clients']} --probes {r['probes']} --open {r['open']}`), measured on "
        "a shared, loaded development machine.",
        "",
        f"{r['probes']} warning states published at {r['rate']:g}/s while the server holds "
        f"{r['open']:,} open warnings and {r['clients']} clients follow `/api/stream` "
        f"({r['deliveries']:,} deliveries). Latency: from handing the message to the Kafka "
        "producer to its arrival at a client. Baseline: a plain aiokafka consumer of the "
        "warnings topic in the same process and run.",
        "",
        "| measure | baseline (Kafka consumer) | casewatch web, SSE | ratio |",
        "|---|---|---|---|",
        f"| p50 (ms) | {r['base_p50'] * ms:.0f} | {r['sse_p50'] * ms:.0f} | "
        f"{r['sse_p50'] / r['base_p50']:.2f} |",
        f"| p99 (ms) | {r['base_p99'] * ms:.0f} | {r['sse_p99'] * ms:.0f} | "
        f"{r['sse_p99'] / r['base_p99']:.2f} |",
        f"| max (ms) | {r['base_max'] * ms:.0f} | {r['sse_max'] * ms:.0f} | "
        f"{r['sse_max'] / r['base_max']:.2f} |",
        "",
        f"- target p99 ≤ 1 s: {'met' if r['sse_p99'] <= 1.0 else 'NOT met'}",
        f"- web server CPU while pushing: {r['cpu_share'] * 100:.0f} % of one core "
        f"(over {r['wall_s']:.1f} s)",
        f"- web server memory (peak RSS) with {r['clients']} streams and {r['open']:,} open "
        f"warnings: {r['peak_rss'] / 2**20:.0f} MiB (target ≤ 1 GiB: "
        f"{'met' if r['peak_rss'] <= 2**30 else 'NOT met'})",
        f"- {r['stalled']} stalled streams (never reading) while {r['stall_changes']:,} changes "
        f"were pushed: RSS {r['stall_rss_before'] / 2**20:.0f} MiB before, "
        f"{r['stall_rss_peak'] / 2**20:.0f} MiB at the peak, "
        f"{r['stall_rss_after'] / 2**20:.0f} MiB after; streams still held at the end: "
        f"{r['stalled_left_open']} (cut at the 1,000-change queue or the 10 s write timeout)",
        f"- snapshot `GET /api/warnings` with {r['open']:,} open warnings: "
        f"{r['snapshot_s'] * ms:.0f} ms, {r['snapshot_bytes'] / 1e6:.1f} MB",
        *([f"- the list page in Chromium with {r['open']:,} open warnings (paged, 50 rows): "
           f"first rows {r['page_first_rows_s'] * ms:.0f} ms after navigation (login page "
           f"excluded), a filter change re-rendered in {r['page_filter_s'] * ms:.0f} ms"]
          if "page_first_rows_s" in r else []),
    ])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="probe warnings per second")
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--stalled", type=int, default=20)
    parser.add_argument("--stall-changes", type=int, default=60_000)
    parser.add_argument("--port", type=int, default=int(PORT))
    parser.add_argument("--client-procs", type=int, default=2,
                        help="processes the streams are spread over (the clients' parsing "
                             "must not be what is measured)")
    args = parser.parse_args()
    bench = Bench(args)
    try:
        result = asyncio.run(bench.run())
    finally:
        bench.close()
    text = report(result)
    write_section("web console push (SSE)", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
