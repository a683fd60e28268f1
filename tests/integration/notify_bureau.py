"""A bureau for the notifier's integration tests: its own topics on the shared Kafka,
local receivers of every kind, a routing file pointing at them, a notifier process."""

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kafka import KafkaProducer

from schemas.warning import LegalBasis, Warning
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.kafka_topics import delete_topics_with_prefix, read_topic
from tests.support.notify_process import NotifyProcess
from tests.support.ports import free_port
from tests.support.receivers import HttpReceiver, SmtpServer

CST = timezone(timedelta(hours=8))
SECRETS = {
    "CASEWATCH_NOTIFY_T_WEBHOOK_SECRET": "whsec-" + uuid.uuid4().hex,
    "CASEWATCH_NOTIFY_T_DT_TOKEN": "dt-token-" + uuid.uuid4().hex[:8],
    "CASEWATCH_NOTIFY_T_DT_SECRET": "SEC" + uuid.uuid4().hex,
    "CASEWATCH_NOTIFY_T_WECOM_KEY": "wk-" + uuid.uuid4().hex[:12],
    "CASEWATCH_NOTIFY_T_SMTP_PASSWORD": "s3cret",
}

ROUTING = """
console_url = "http://127.0.0.1:8080"
[defaults]
group_by = ["unit_id"]
group_wait = "{group_wait}"
group_interval = "{group_interval}"
max_items = 50

[[receivers]]
name = "u1-webhook"
kind = "webhook"
url = "{webhook}"
secret_env = "CASEWATCH_NOTIFY_T_WEBHOOK_SECRET"
timeout = "5s"
retries = {retries}
backoff = "0.5s"
max_backoff = "{max_backoff}"

[[receivers]]
name = "u2-wecom"
kind = "wecom"
url = "{wecom}"
key_env = "CASEWATCH_NOTIFY_T_WECOM_KEY"

[[receivers]]
name = "u3-mail"
kind = "email"
host = "127.0.0.1"
port = {smtp_port}
starttls = true
username = "casewatch"
password_env = "CASEWATCH_NOTIFY_T_SMTP_PASSWORD"
from = "casewatch@bureau.example"
to = ["u3-leader@bureau.example"]

[[receivers]]
name = "centre"
kind = "dingtalk"
url = "{dingtalk}"
access_token_env = "CASEWATCH_NOTIFY_T_DT_TOKEN"
secret_env = "CASEWATCH_NOTIFY_T_DT_SECRET"

[[receivers]]
name = "inhouse"
kind = "kafka"
topic = "{out_topic}"

[[receivers]]
name = "lawyers"
kind = "webhook"
url = "{lawyers}"
secret_env = "CASEWATCH_NOTIFY_T_WEBHOOK_SECRET"

[units.U1]
duty = "u1-webhook"
[units.U2]
duty = "u2-wecom"
[units.U3]
duty = "u3-mail"

[[routes]]
name = "bulletins"
match = {{ kind = ["bulletin"] }}
receivers = ["centre"]

[[routes]]
name = "lawyers"
match = {{ source = ["lawyer_notice"] }}
receivers = ["lawyers"]
group_by = ["subject_id"]
group_wait = "0s"

[[routes]]
name = "copy"
match = {{ source = ["warning"] }}
receivers = ["inhouse"]
continue = true

[[routes]]
name = "units"
match = {{ source = ["warning", "problem/*"] }}
receivers = ["@unit.duty"]
{extra}
"""


class Bureau:
    def __init__(self, stack, tmp: Path, **routing):
        tag = uuid.uuid4().hex[:8]
        self.stack, self.tmp = stack, tmp
        self.prefix, self.app_id = f"nt{tag}.", f"nt{tag}"
        self.env = {"CASEWATCH_KAFKA_BOOTSTRAP": stack.bootstrap,
                    "CASEWATCH_TOPIC_PREFIX": self.prefix, "CASEWATCH_APP_ID": self.app_id,
                    "CASEWATCH_PARTITIONS": "2",
                    "CASEWATCH_NOTIFY_CONFIG": str(tmp / "notify.toml"),
                    "CASEWATCH_NOTIFY_METRICS_PORT": str(free_port()),
                    "CASEWATCH_NOTIFY_POLL_SECONDS": "0.1", **SECRETS}
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.out_topic = self.prefix + "notify-out"
        self.webhook, self.wecom = HttpReceiver(), HttpReceiver()
        self.dingtalk, self.lawyers = HttpReceiver(), HttpReceiver()
        self.smtp = SmtpServer(tmp)
        self.routing = {"group_wait": "1s", "group_interval": "5s", "retries": 8,
                        "max_backoff": "5s", "extra": "", **routing}
        self.write_routing()
        self.producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
        # the test trusts its SMTP server's own certificate
        self.env["SSL_CERT_FILE"] = str(self.smtp.cert)
        self.notifier = NotifyProcess(self.env, tmp / "notify.log")

    def write_routing(self, **changes) -> None:
        self.routing.update(changes)
        (self.tmp / "notify.toml").write_text(ROUTING.format(
            webhook=self.webhook.url, wecom=self.wecom.url, dingtalk=self.dingtalk.url,
            lawyers=self.lawyers.url, smtp_port=self.smtp.port, out_topic=self.out_topic,
            **self.routing), encoding="utf-8")

    def topic(self, name: str) -> str:
        return self.prefix + name

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self.producer.send(self.topic(topic), key=key.encode(), value=value)

    def flush(self) -> None:
        self.producer.flush()

    def warn(self, w: Warning) -> None:
        self.publish("warnings", w.case_id, w.model_dump_json().encode())

    def records(self, name: str):
        return read_topic(self.stack.bootstrap, self.topic(name))

    def attempts(self) -> list[dict]:
        return [json.loads(r.value) for r in self.records("notifications")]

    def close(self) -> None:
        self.notifier.kill()
        for r in (self.webhook, self.wecom, self.dingtalk, self.lawyers):
            r.close()
        self.smtp.close()
        self.producer.close()
        delete_topics_with_prefix(self.stack.bootstrap, self.prefix, self.app_id)


def warning(wid: str, unit: str = "U1", level: str = "overdue", status: str = "open",
            case: str | None = None, rule: str = "det_family_notice",
            changed_at: datetime | None = None) -> Warning:
    at = changed_at or datetime.now(CST).replace(microsecond=0)
    return Warning(warning_id=wid, rule_id=rule, rule_kind="statutory", level=level,
                   status=status, late=None, case_id=case or f"C-{wid}", person_id="P1",
                   unit_id=unit, due_at=None if level == "violation" else at,
                   resolved_at=None, changed_at=at, evidence=["E1"],
                   basis=[LegalBasis(ref="CPL 85②", text_zh="应当在拘留后二十四小时以内通知")],
                   message_zh=f"拘留后应在24小时内通知家属 {wid}",
                   message_en=f"notify the family within 24 h {wid}")
