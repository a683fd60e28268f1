"""ClickHouse reads off the event loop: one native client per worker thread."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from clickhouse_driver import Client

from sinks.clickhouse.client import Settings


class Reader:
    def __init__(self, settings: Settings, threads: int = 4):
        self.settings = settings
        self.db = settings.database
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="ch-read")

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            s = self.settings
            client = Client(host=s.host, port=s.port, user=s.user,
                            password=s.password.get_secret_value(),
                            connect_timeout=s.connect_timeout,
                            send_receive_timeout=s.send_receive_timeout)
            self._local.client = client
        return client

    def execute_sync(self, sql: str, params: dict | None = None) -> list[tuple]:
        return self._client().execute(sql, params or {})

    async def execute(self, sql: str, params: dict | None = None) -> list[tuple]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.execute_sync, sql, params)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
