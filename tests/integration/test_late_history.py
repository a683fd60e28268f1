"""History that reaches the pipeline after its deadlines: a warning first published as
overdue and then resolved by a later event must read as resolved everywhere."""

from datetime import UTC, datetime, timedelta

from tests.support.kafka_topics import read_topic
from tests.support.oracle import current_in_clickhouse, last_on_topic
from tests.support.publishing import Publisher, encode
from tests.support.quiescence import wait_quiescent, wait_sink
from tests.support.sandbox import Sandbox


def test_a_summons_ended_inside_its_lead_reads_resolved_on_the_topic_and_in_clickhouse(
        stack, tmp_path):
    box = Sandbox(stack, tmp_path)
    try:
        worker = box.worker("w1")
        worker.start()
        started = datetime.now(UTC) - timedelta(days=700)
        common = dict(schema_version=1, case_id="Q1", case_kind="criminal", person_id="P1",
                      unit_id="U3301")
        summons = dict(event_id="Q1-1", event_type="summons_started",
                       occurred_at=started.isoformat(), details={"kind": "summons"}, **common)
        # 12 h summons, 2 h lead: ended at 11 h it is `approaching`, resolved in time
        ended = dict(event_id="Q1-2", event_type="summons_ended",
                     occurred_at=(started + timedelta(hours=11)).isoformat(), **common)
        Publisher(stack.bootstrap, box.topic("case-events"), [encode(summons)]).start().join()
        wait_quiescent(box)  # published as overdue: the summons is long over
        Publisher(stack.bootstrap, box.topic("case-events"), [encode(ended)]).start().join()
        wait_quiescent(box)
        assert wait_sink(box) == {}

        last = last_on_topic(read_topic(stack.bootstrap, box.topic("warnings")))
        assert [(w["rule_id"], w["level"], w["status"]) for w in last.values()] == [
            ("summons_duration", "approaching", "resolved")]
        assert current_in_clickhouse(box.clickhouse(), box.db) == {
            wid: ("approaching", "resolved") for wid in last}
    finally:
        box.close()
