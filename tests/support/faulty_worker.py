"""`python -m tests.support.faulty_worker`: `casewatch worker` with one fault injected, for
the fault tests of issue 16 (tests only; the product has no such switch). The fault comes
from CASEWATCH_TEST_FAULT:

- `rules_bug:<event_id>,...`: the rules raise on a subject whose events include one of these
  (a bug that one event's history triggers);
- `unreadable:<case_id>,...`: these cases cannot be restored from the store (an upgrade
  that no longer reads what an earlier version stored);
- `crash_in_due_commit`: the first transaction of a due job that carries warnings dies once
  its messages are sent to the brokers, before it is committed.
"""

import os
import sys

from rules.engine import Engine
from streams import outputs
from streams.case_logic import CaseLogic

FAULT = os.environ.get("CASEWATCH_TEST_FAULT", "")


def _rules_bug(event_ids: set[str]) -> None:
    evaluate = Engine.evaluate_subject

    def faulty(self, events, subject, now):
        events = list(events)
        if any(e.event_id in event_ids for e in events):
            raise ZeroDivisionError("injected rules bug")
        return evaluate(self, events, subject, now)

    Engine.evaluate_subject = faulty


def _unreadable(case_ids: set[str]) -> None:
    restore = CaseLogic.restore.__func__

    def faulty(cls, case_id, engine, items):
        if case_id in case_ids:
            raise ValueError(f"injected: stored items of {case_id} no longer validate")
        return restore(cls, case_id, engine, items)

    CaseLogic.restore = classmethod(faulty)


def _crash_in_due_commit() -> None:
    transaction = outputs.PartitionProducer._transaction

    async def faulty(self, sends, offsets, group_id):
        if offsets is None and any(s.topic.endswith("warnings") for s in sends):
            await self.producer.begin_transaction()
            await self._append(sends, [])
            await self.producer.flush()  # on the brokers, in a transaction never committed
            print("injected: dying inside a due job's transaction", file=sys.stderr,
                  flush=True)
            os._exit(1)
        return await transaction(self, sends, offsets, group_id)

    outputs.PartitionProducer._transaction = faulty


def main() -> None:
    kind, _, arg = FAULT.partition(":")
    names = set(filter(None, arg.split(",")))
    {"rules_bug": lambda: _rules_bug(names), "unreadable": lambda: _unreadable(names),
     "crash_in_due_commit": _crash_in_due_commit}[kind]()
    from cli.main import main as casewatch

    sys.exit(casewatch(["worker"]))


if __name__ == "__main__":
    main()
