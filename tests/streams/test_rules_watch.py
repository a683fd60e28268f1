"""streams.rules_watch: a watched rule set directory is applied when it changes and loads,
refused (once, counted) when it does not, and not applied again when already latest."""

import asyncio

import pytest

from rules.ruleset import load_ruleset
from streams import rules_watch
from streams.rulesets import RulesetBook
from streams.settings import Settings
from tests.support.rulesets import copy_rules, edit
from tests.support.timeline import shared_engine


@pytest.fixture
def watch(tmp_path, monkeypatch):
    rules = copy_rules(tmp_path / "rules")
    settings = Settings(rules_dir=rules)
    book = RulesetBook(settings, shared_engine())
    published = []

    async def refresh():
        pass

    def publish(settings, record):
        published.append(record)
        book._take(record.model_dump_json().encode())
        return 4

    book.refresh = refresh
    monkeypatch.setattr(rules_watch, "publish_ruleset", publish)
    w = rules_watch.RulesWatch(settings, book)
    w.published = published
    return w


def test_a_change_that_loads_is_applied_once(watch):
    asyncio.run(watch.check())  # the directory as it starts: published as latest
    rules = watch.settings.rules_dir
    edit(rules / "catalogue" / "bail_limit.toml", 'lead = "30d"', 'lead = "40d"')
    asyncio.run(watch.check())
    asyncio.run(watch.check())  # nothing new
    assert [r.content_hash for r in watch.published] == [
        watch.published[0].content_hash, load_ruleset(rules).content_hash]


def test_a_change_that_does_not_load_is_refused_and_counted_once(watch):
    from streams import metrics

    before = metrics.RULESET_REFUSED._value.get()
    edit(watch.settings.rules_dir / "catalogue" / "bail_limit.toml", 'period = "12mo"',
         'period = "soon"')
    asyncio.run(watch.check())
    asyncio.run(watch.check())
    assert watch.published == []
    assert metrics.RULESET_REFUSED._value.get() == before + 1
