"""A rule set directory watched by the worker (CASEWATCH_RULES_DIR): when its files change
and the new rule set loads, it is applied as `casewatch rules apply` does (published, then
marked on every partition: streams/rulesets.py); when it does not load, it is refused with
the reason in the log and `casewatch_ruleset_refused_total`, and the rules in force stay.
Several workers watching alike publish the same rule set; the second changes nothing."""

import asyncio
import logging

from rules.catalogue import CatalogueError
from rules.ruleset import content_hash, read_ruleset_files
from streams import metrics
from streams.rulesets import RulesetBook, publish_ruleset, ruleset_record
from streams.settings import Settings

log = logging.getLogger(__name__)
RULES_WATCH_INTERVAL = 5.0


class RulesWatch:
    def __init__(self, settings: Settings, book: RulesetBook):
        self.settings = settings
        self.book = book
        self.refused: str | None = None  # the content hash refused last

    async def check(self) -> None:
        try:
            files, human = read_ruleset_files(self.settings.rules_dir)
        except (CatalogueError, OSError) as exc:
            self._refuse(f"unreadable: {exc}", str(exc))
            return
        digest = content_hash(files)
        if digest == self.refused:
            return
        await self.book.refresh()
        if digest == self.book.latest:
            return
        try:
            record = ruleset_record(files, human, f"{self.settings.app_id} (watching "
                                                  f"{self.settings.rules_dir})")
        except CatalogueError as exc:
            self._refuse(str(exc), digest)
            return
        marked = await asyncio.to_thread(publish_ruleset, self.settings, record)
        log.warning("rule set %s of %s applied: %d partitions marked", digest,
                    self.settings.rules_dir, marked)

    def _refuse(self, reason: str, key: str) -> None:
        if key != self.refused:
            metrics.RULESET_REFUSED.inc()
            log.error("the rule set in %s is refused, the rules in force stay: %s",
                      self.settings.rules_dir, reason)
        self.refused = key
