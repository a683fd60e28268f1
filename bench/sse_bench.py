"""Web console push benchmark: 200 concurrent event-stream clients.

Measures the time from a warning's message (the moment the bench hands it to the Kafka
producer) to its arrival at each SSE client of `casewatch web`, against a baseline
measured in the same run: a plain aiokafka consumer of the same topic in the same process
(what any reader of the topic gets). Also the web server's CPU share while pushing, and
the snapshot (`GET /api/warnings`) with 10,000 open warnings held.

Needs the local stack (deploy/stack start); no worker: the bench publishes warning states
itself. Uses its own topics, app id, database and port, removes them afterwards, and
writes its section of docs/benchmarks.md.

    .venv/bin/python bench/sse_bench.py [--clients 200] [--probes 300] [--open 10000]
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
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
            "CASEWATCH_WEB_PORT": PORT,
            "CASEWATCH_WEB_USERS_FILE": str(users),
            "CASEWATCH_WEB_SECRET": secrets.token_urlsafe(32),
        }
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.topic = self.settings.topic("warnings")
        self.web = WebProcess(self.env, self.dir / "web.log")
        self.sent: dict[str, float] = {}
        self.baseline: list[float] = []
        self.arrivals: list[list[float]] = []

    async def preload(self, producer: AIOKafkaProducer) -> None:
        for n in range(self.args.open):
            await producer.send(self.topic, key=f"C-pre{n}".encode(),
                                value=warning(f"pre{n}", f"U{3301 + n % 24}"))
        await producer.flush()

    async def client(self, session: aiohttp.ClientSession, since: int, ready: asyncio.Event,
                     connected: list, times: list[float]) -> None:
        async with session.get(f"{self.web.base_url}/api/stream?since={since}",
                               timeout=aiohttp.ClientTimeout(total=None)) as resp:
            assert resp.status == 200, resp.status
            connected.append(1)
            if len(connected) == self.args.clients:
                ready.set()
            async for line in resp.content:
                if not line.startswith(b"data: "):
                    continue
                arrived = time.time()
                event = json.loads(line[6:])
                wid = event.get("w", {}).get("id", "")
                if wid.startswith("probe"):
                    times.append(arrived - self.sent[wid])
                    if len(times) == self.args.probes:
                        return

    async def baseline_consumer(self, started: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(self.topic, bootstrap_servers=self.settings.kafka_bootstrap,
                                    group_id=None, auto_offset_reset="latest",
                                    isolation_level="read_committed", fetch_max_wait_ms=50)
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
            ready, connected = asyncio.Event(), []
            self.arrivals = [[] for _ in range(self.args.clients)]
            clients = [asyncio.create_task(self.client(session, snapshot["seq"], ready,
                                                       connected, times))
                       for times in self.arrivals]
            await asyncio.wait_for(ready.wait(), 60)
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
            await asyncio.wait_for(asyncio.gather(*clients, base), 120)
            cpu = cpu_seconds(self.web.pid) - cpu0
            wall = time.monotonic() - wall0
        await producer.stop()
        page = await self.page_timings() if Path(CHROMIUM).exists() else {}
        sse = [t for times in self.arrivals for t in times]
        return {
            "open": len(snapshot["warnings"]), "snapshot_s": snapshot_s,
            "snapshot_bytes": len(body), "clients": self.args.clients,
            "probes": self.args.probes, "rate": self.args.rate, "deliveries": len(sse),
            "sse_p50": pct(sse, 0.5), "sse_p99": pct(sse, 0.99), "sse_max": max(sse),
            "base_p50": pct(self.baseline, 0.5), "base_p99": pct(self.baseline, 0.99),
            "base_max": max(self.baseline), "cpu_share": cpu / wall, "wall_s": wall,
            "mean": statistics.fmean(sse), **page,
        }

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
        f"(`--clients {r['clients']} --probes {r['probes']} --open {r['open']}`).",
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
        f"- snapshot `GET /api/warnings` with {r['open']:,} open warnings: "
        f"{r['snapshot_s'] * ms:.0f} ms, {r['snapshot_bytes'] / 1e6:.1f} MB",
        *([f"- the list page in Chromium with {r['open']:,} open warnings (paged, 50 rows): "
           f"first rows {r['page_first_rows_s'] * ms:.0f} ms after navigation (login page "
           f"excluded), a filter change re-rendered in {r['page_filter_s'] * ms:.0f} ms"]
          if "page_first_rows_s" in r else []),
    ])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="probe warnings per second")
    parser.add_argument("--open", type=int, default=10_000)
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
