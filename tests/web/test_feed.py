"""web.feed: the live follower keeps going and says when it cannot read."""

import asyncio

from streams.settings import Settings
from tests.support.web_app import CannedReader
from web.feed import Feed
from web.open_set import OpenSet


class Flaky:
    """A consumer whose first fetch fails with an unexpected error."""

    def __init__(self, error):
        self.error = error
        self.calls = 0

    async def getmany(self, **kwargs):
        self.calls += 1
        if self.calls == 1:
            raise self.error
        await asyncio.sleep(0.05)
        return {}

    async def stop(self):
        pass


def test_hole10_the_follower_survives_an_unexpected_error():
    feed = Feed(Settings(), "g", CannedReader(), OpenSet())
    flaky = Flaky(RuntimeError("boom"))
    feed.consumer = flaky

    async def go():
        task = asyncio.create_task(feed.follow())
        await asyncio.sleep(2.5)
        alive = not task.done()
        task.cancel()
        return alive

    assert asyncio.run(go()), "the follower died of an unexpected error"
    assert flaky.calls >= 2
