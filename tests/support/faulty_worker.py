"""`python -m tests.support.faulty_worker`: `casewatch worker` with one fault injected, for
the fault tests of issue 16 (tests only; the product has no such switch). The fault comes
from CASEWATCH_TEST_FAULT:

- `rules_bug:<event_id>,...`: the rules raise when they step a subject's walk with one of
  these events (a bug that one event triggers);
- `unreadable:<case_id>,...`: these cases cannot be restored from the store (an upgrade
  that no longer reads what an earlier version stored);
- `crash_in_due_commit`: the first transaction of a due job that carries warnings dies once
  its messages are sent to the brokers, before it is committed;
- `stop_in_job:<n>,...`: the worker SIGSTOPs itself when the n-th source job's outputs are
  computed and about to be written (the test SIGCONTs it later): a pause, as a GC or a
  stalled VM makes, at the worst moment. Works on the core before v3 too, to show its fault.
"""

import os
import signal
import sys

from rules.engine import Engine
from streams import outputs
from streams.case_logic import CaseLogic

FAULT = os.environ.get("CASEWATCH_TEST_FAULT", "")


def _rules_bug(event_ids: set[str]) -> None:
    step = Engine.step  # every evaluation of an event goes through it

    def faulty(self, fold, event):
        if event.event_id in event_ids:
            raise ZeroDivisionError("injected rules bug")
        return step(self, fold, event)

    Engine.step = faulty


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


def _stop_in_job(counts: set[int]) -> None:
    jobs = 0

    def maybe_stop() -> None:
        nonlocal jobs
        jobs += 1
        if jobs in counts:
            print(f"injected: stopping in source job {jobs}", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGSTOP)

    if hasattr(outputs, "PartitionProducer"):
        commit = outputs.PartitionProducer.commit

        async def faulty(self, sends, offsets, group_id):
            if offsets:
                maybe_stop()
            return await commit(self, sends, offsets, group_id)

        outputs.PartitionProducer.commit = faulty
    else:  # the core before v3: outputs sent after the changelog, then the commit
        send_all = outputs.Outputs.send_all

        async def faulty_send(self, sends):
            if any(s.topic.endswith("case-rows") for s in sends):
                maybe_stop()
            return await send_all(self, sends)

        outputs.Outputs.send_all = faulty_send


def main() -> None:
    kind, _, arg = FAULT.partition(":")
    names = set(filter(None, arg.split(",")))
    {"rules_bug": lambda: _rules_bug(names), "unreadable": lambda: _unreadable(names),
     "crash_in_due_commit": _crash_in_due_commit,
     "stop_in_job": lambda: _stop_in_job({int(n) for n in names})}[kind]()
    from cli.main import main as casewatch

    sys.exit(casewatch(["worker"]))


if __name__ == "__main__":
    main()
