"""`casewatch notify` on the real Kafka with local receivers of every kind: routing,
grouping, signatures and encodings as received, escalation stopped by an action,
silences by command, dead letters, reload, and the delivery log."""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schemas.notify_command import NotifyCommand
from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from schemas.silence import Silence
from schemas.warning_action import WarningAction
from tests.integration.notify_bureau import SECRETS, Bureau, warning
from tests.support.problem_records import record


def wait_for(check, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def bureau(stack, tmp_path):
    b = Bureau(stack, tmp_path)
    try:
        yield b
    finally:
        b.close()


def test_every_receiver_kind_gets_one_grouped_message_as_documented(bureau):
    bureau.notifier.start()
    for i in range(3):
        bureau.warn(warning(f"a{i}", unit="U1"))
    for i in range(2):
        bureau.warn(warning(f"b{i}", unit="U2"))
    bureau.warn(warning("c0", unit="U3"))
    bureau.flush()
    wait_for(lambda: bureau.webhook.requests and bureau.wecom.requests
             and bureau.smtp.messages, what="the three units' messages")
    time.sleep(2.5)  # nothing more may come for these units
    # webhook: one JSON message with U1's three warnings, HMAC over "<ts>.<body>"
    [hook] = bureau.webhook.requests
    doc = hook.json()
    assert sorted(i["key"] for i in doc["items"]) == ["warning/a0", "warning/a1", "warning/a2"]
    mac = hmac.new(SECRETS["CASEWATCH_NOTIFY_T_WEBHOOK_SECRET"].encode(),
                   hook.headers["X-Casewatch-Timestamp"].encode() + b"." + hook.body,
                   hashlib.sha256).hexdigest()
    assert hook.headers["X-Casewatch-Signature"] == f"sha256={mac}"
    assert hook.headers["X-Casewatch-Notification-Id"] == doc["notification_id"]
    # WeCom: the documented markdown body, the key in the query
    [wecom] = bureau.wecom.requests
    assert wecom.query == {"key": SECRETS["CASEWATCH_NOTIFY_T_WECOM_KEY"]}
    body = wecom.json()
    assert body["msgtype"] == "markdown" and "b0" in body["markdown"]["content"]
    # email: STARTTLS and login, RFC 2047 subject in Chinese
    [(_, to, raw)] = bureau.smtp.messages
    assert to == ["u3-leader@bureau.example"]
    assert b"Subject: =?utf-8?" in raw
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"].startswith("【执法监督预警推送】U3：新增1条")
    # Kafka: a copy of every warning, key = notification id
    copies = wait_for(lambda: bureau.records("notify-out") if len(
        bureau.records("notify-out")) >= 3 else None, what="the Kafka copies")
    keys = sorted(i["key"] for r in copies for i in json.loads(r.value)["items"])
    assert keys == sorted(f"warning/{w}" for w in ("a0", "a1", "a2", "b0", "b1", "c0"))
    assert all(r.key.decode() == json.loads(r.value)["notification_id"] for r in copies)
    # the delivery log: every attempt, sent
    log = wait_for(lambda: [a for a in bureau.attempts()] if len(bureau.attempts()) >= 6
                   else None, what="the delivery log")
    assert {a["status"] for a in log} == {"sent"}
    assert {a["receiver"] for a in log} == {"u1-webhook", "u2-wecom", "u3-mail", "inhouse"}


def test_a_repeat_is_not_sent_again_and_an_escalation_is(bureau):
    bureau.notifier.start()
    bureau.warn(warning("r1", level="approaching"))
    bureau.flush()
    wait_for(lambda: bureau.webhook.requests, what="the first message")
    bureau.warn(warning("r1", level="approaching"))  # the worker republished it
    bureau.flush()
    time.sleep(3)
    assert len(bureau.webhook.requests) == 1
    bureau.warn(warning("r1", level="overdue"))
    bureau.flush()
    wait_for(lambda: len(bureau.webhook.requests) == 2, what="the escalation")
    assert [i["change"] for i in bureau.webhook.requests[1].json()["items"]] == ["escalated"]


ESCALATION = """
[[escalations]]
name = "overdue-unacknowledged"
match = { source = ["warning"], level = ["overdue"] }
steps = [{ after = "4s", receivers = ["centre"] }]
group_wait = "0s"
"""


def test_escalation_fires_unless_acknowledged_and_dingtalk_signature_verifies(bureau):
    bureau.write_routing(extra=ESCALATION)
    bureau.notifier.start()
    now = datetime.now(UTC).replace(microsecond=0)
    bureau.warn(warning("e1", changed_at=now))
    bureau.warn(warning("e2", changed_at=now))
    bureau.flush()
    action = WarningAction(warning_id="e2", case_id="C-e2", unit_id="U1",
                           rule_id="det_family_notice", action="acknowledge", actor_id="u1",
                           actor_role="unit", acted_at=now)
    bureau.publish("warning-actions", "C-e2", action.model_dump_json().encode())
    bureau.flush()
    [req] = wait_for(lambda: bureau.dingtalk.requests, timeout=20, what="the escalation")
    time.sleep(2)
    assert len(bureau.dingtalk.requests) == 1
    items = [line for line in json.loads(req.body)["markdown"]["text"].splitlines()
             if line.startswith("- ")]
    assert len(items) == 1 and "e1" in items[0]
    ts, secret = req.query["timestamp"], SECRETS["CASEWATCH_NOTIFY_T_DT_SECRET"]
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    assert req.query["sign"] == base64.b64encode(digest).decode()


def test_an_accepted_problem_is_told_to_its_unit_and_its_verification_resolves_it(bureau):
    """Problems come from problem-records (what the problems intake accepted), never from the
    raw problems topic; their loop from problem-actions."""
    bureau.notifier.start()
    accepted = Problem.model_validate_json(json.dumps(record(problem_id="CR-n1", unit_id="U1")))
    raw = record(problem_id="CR-raw", unit_id="U1")  # not (yet) accepted: not told
    bureau.publish("problems", "CR-raw", json.dumps(raw).encode())
    bureau.publish("problem-records", "CR-n1", accepted.to_json())
    bureau.flush()
    [req] = wait_for(lambda: bureau.webhook.requests, what="the problem's message")
    [item] = req.json()["items"]
    assert (item["key"], item["change"]) == ("problem/CR-n1", "new")
    assert item["link"].endswith("/problem/CR-n1")
    verify = ProblemAction.model_validate_json(json.dumps({
        "problem_id": "CR-n1", "source": "case_review", "case_id": accepted.case_id,
        "unit_id": "U1", "problem_type": accepted.problem_type, "action": "verify",
        "actor_id": "sup01", "actor_role": "supervisor",
        "acted_at": datetime.now(UTC).isoformat()}))
    bureau.publish("problem-actions", "CR-n1", verify.model_dump_json().encode())
    bureau.flush()
    wait_for(lambda: len(bureau.webhook.requests) == 2, timeout=20, what="the resolution")
    assert [(i["key"], i["change"]) for i in bureau.webhook.requests[1].json()["items"]] == [
        ("problem/CR-n1", "resolved")]
    time.sleep(2)
    assert len(bureau.webhook.requests) == 2


def test_a_silence_by_command_holds_a_case_back_until_it_is_expired(bureau):
    bureau.notifier.start()
    now = datetime.now(UTC)
    silence = Silence(silence_id=uuid.uuid4().hex, case_id="C-quiet", starts_at=now,
                      ends_at=now + timedelta(hours=1), reason="核查中 under review",
                      created_by="sup01", created_at=now)
    create = NotifyCommand(command="silence", actor_id="sup01", actor_role="supervisor",
                           at=now, silence=silence)
    bureau.publish("notify-commands", silence.silence_id, create.model_dump_json().encode())
    bureau.flush()
    time.sleep(1)
    bureau.warn(warning("s1", case="C-quiet"))
    bureau.warn(warning("s2", case="C-loud"))
    bureau.flush()
    [req] = wait_for(lambda: bureau.webhook.requests, what="the unsilenced warning")
    assert [i["key"] for i in req.json()["items"]] == ["warning/s2"]
    expire = NotifyCommand(command="expire", actor_id="sup01", actor_role="supervisor",
                           at=datetime.now(UTC), silence_id=silence.silence_id)
    bureau.publish("notify-commands", silence.silence_id, expire.model_dump_json().encode())
    bureau.flush()
    wait_for(lambda: len(bureau.webhook.requests) == 2, timeout=20,
             what="the silenced warning after the expiry")
    assert [i["key"] for i in bureau.webhook.requests[1].json()["items"]] == ["warning/s1"]


def test_unreadable_input_is_dead_lettered_and_the_rest_goes_on(bureau):
    bureau.notifier.start()
    bureau.publish("warnings", "C-x", b"{not json")
    bureau.publish("notify-commands", "x", b'{"command":"retry"}')
    bureau.warn(warning("ok1"))
    bureau.flush()
    wait_for(lambda: bureau.webhook.requests, what="the valid warning")
    letters = wait_for(lambda: bureau.records("case-events.dlq") if len(
        bureau.records("case-events.dlq")) >= 2 else None, what="the dead letters")
    reasons = [json.loads(r.value)["reasons"][0] for r in letters]
    assert all(r.startswith("notifier cannot read the record") for r in reasons)
    assert {json.loads(r.value)["topic"] for r in letters} == {
        bureau.topic("warnings"), bureau.topic("notify-commands")}


def test_the_routing_file_is_reloaded_and_a_bad_one_refused(bureau):
    bureau.notifier.start()
    bureau.write_routing(extra='[[routes]]\nname = "x"\nreceivers = ["nobody"]\n')
    time.sleep(6)
    bureau.warn(warning("k1"))
    bureau.flush()
    wait_for(lambda: bureau.webhook.requests, what="delivery under the old file")
    log = bureau.notifier.log_path.read_text()
    assert "refused; the previous one stays" in log and "unknown receiver 'nobody'" in log
    for name in SECRETS:
        assert SECRETS[name] not in log
    # a valid change: U1 now to the centre as well
    bureau.write_routing(extra="")
    text = (bureau.tmp / "notify.toml").read_text().replace(
        'receivers = ["@unit.duty"]', 'receivers = ["@unit.duty", "centre"]')
    (bureau.tmp / "notify.toml").write_text(text)
    wait_for(lambda: "routing file reloaded" in bureau.notifier.log_path.read_text(),
             timeout=15, what="the reload")
    bureau.warn(warning("k2"))
    bureau.flush()
    wait_for(lambda: bureau.dingtalk.requests, what="delivery under the new file")


def test_lawyer_notices_go_one_by_one_to_the_lawyer_channel_once(bureau):
    from tests.notify.test_inputs import NOTICE

    bureau.notifier.start()
    second = {**NOTICE, "notice_id": "0" * 24, "node": "custody_extended",
              "node_zh": "延长侦查羁押期限", "node_en": "investigative custody extended"}
    for notice in (NOTICE, second, NOTICE):  # the last one a republication
        bureau.publish("lawyer-notices", notice["case_id"], json.dumps(notice).encode())
    bureau.flush()
    wait_for(lambda: len(bureau.lawyers.requests) == 2, what="two lawyer notices")
    time.sleep(2)
    assert len(bureau.lawyers.requests) == 2
    items = [r.json()["items"] for r in bureau.lawyers.requests]
    assert all(len(i) == 1 for i in items)
    assert {i[0]["extra"]["lawyer_id"] for i in items} == {"L1"}
    assert {i[0]["change"] for i in items} == {"notice"}
    assert bureau.webhook.requests == [] and bureau.records("notify-out") == []


INHIBIT = """
[[routes]]
name = "overdue"
match = { level = ["overdue"] }
receivers = ["centre"]

[[inhibit]]
source = { level = ["overdue"] }
target = { level = ["approaching"] }
equal = ["rule_id", "case_id", "person_id"]
"""


def test_an_overdue_warning_holds_back_the_approaching_one_of_its_rule_and_person(bureau):
    bureau.write_routing(extra="")
    routing = (bureau.tmp / "notify.toml").read_text().replace(
        '[[routes]]\nname = "units"\nmatch = { source = ["warning", "problem/*"] }',
        INHIBIT + '\n[[routes]]\nname = "units"\nmatch = { source = ["warning", "problem/*"] }')
    (bureau.tmp / "notify.toml").write_text(routing)
    bureau.notifier.start()
    bureau.warn(warning("old", case="C-same", level="overdue"))
    bureau.warn(warning("new", case="C-same", level="approaching"))
    bureau.warn(warning("other", case="C-other", level="approaching"))
    bureau.flush()
    [req] = wait_for(lambda: bureau.webhook.requests, what="the unit's message")
    time.sleep(2)
    assert [i["key"] for i in req.json()["items"]] == ["warning/other"]
    assert len(bureau.dingtalk.requests) == 1  # the overdue one went to its route
    bureau.warn(warning("old", case="C-same", level="overdue", status="resolved"))
    bureau.flush()
    wait_for(lambda: len(bureau.webhook.requests) == 2, timeout=20,
             what="the held warning once its overdue sibling is resolved")
    assert [i["key"] for i in bureau.webhook.requests[1].json()["items"]] == ["warning/new"]


def test_a_bulletin_goes_at_once_once_even_sent_again_and_after_a_restart(bureau):
    from tests.notify.test_bulletins import record as bulletin

    bureau.notifier.start()
    day = (datetime.now(UTC) + timedelta(hours=8) - timedelta(days=1)).date().isoformat()
    doc = json.dumps(bulletin(day=day)).encode()
    bureau.publish("bulletins", f"bulletin-{day}", doc)
    bureau.publish("bulletins", f"bulletin-{day}", doc)  # sent again
    bureau.publish("bulletins", "x", b'{"bulletin_id": "x"}')  # malformed
    bureau.flush()
    wait_for(lambda: bureau.dingtalk.requests, what="the bulletin at the centre")
    text = bureau.dingtalk.requests[0].json()["markdown"]["text"]
    assert f"【执法监督日通报】{day}" in text and "当前超期 3 项" in text
    letters = wait_for(lambda: bureau.records("case-events.dlq"), what="the dead letter")
    (letter,) = [json.loads(r.value) for r in letters]
    assert letter["topic"] == bureau.topic("bulletins")
    assert letter["reasons"][0].startswith("notifier cannot read the record")
    sent = wait_for(lambda: [a for a in bureau.attempts() if a["status"] == "sent"],
                    what="the delivery log")
    assert [(a["receiver"], a["subjects"]) for a in sent] == [
        ("centre", [f"bulletin/bulletin-{day}"])]
    bureau.notifier.kill()
    bureau.notifier.start()
    bureau.publish("bulletins", f"bulletin-{day}", doc)  # and again after a restart
    bureau.flush()
    time.sleep(3)
    assert len(bureau.dingtalk.requests) == 1
