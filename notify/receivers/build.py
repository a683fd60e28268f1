"""The receivers of a routing file, made with their secrets from the environment."""

from notify.config import (
    DingTalkReceiver,
    EmailReceiver,
    KafkaReceiver,
    Loaded,
    WebhookReceiver,
    WeComReceiver,
)
from notify.receivers.dingtalk import DingTalk
from notify.receivers.email import Email
from notify.receivers.kafka import KafkaTopic
from notify.receivers.webhook import Webhook
from notify.receivers.wecom import WeCom


def build_receivers(loaded: Loaded, session, producer, tls_context=None) -> dict[str, object]:
    """name -> receiver. `session` is an aiohttp ClientSession, `producer` a started
    aiokafka producer (for Kafka receivers)."""
    out = {}
    console = loaded.config.console_url
    for r in loaded.config.receivers:
        timeout = r.timeout.total_seconds()
        if isinstance(r, WebhookReceiver):
            url = r.url or loaded.secret(r.url_env)
            out[r.name] = Webhook(session, url, loaded.secret(r.secret_env), timeout)
        elif isinstance(r, DingTalkReceiver):
            out[r.name] = DingTalk(session, r.url, loaded.secret(r.access_token_env),
                                   loaded.secret(r.secret_env), timeout, console)
        elif isinstance(r, WeComReceiver):
            out[r.name] = WeCom(session, r.url, loaded.secret(r.key_env), timeout, console)
        elif isinstance(r, EmailReceiver):
            out[r.name] = Email(r.host, r.port, r.starttls, r.tls, r.username,
                                loaded.secret(r.password_env), r.sender, r.to, timeout,
                                tls_context)
        elif isinstance(r, KafkaReceiver):
            out[r.name] = KafkaTopic(producer, r.topic, timeout)
        else:  # pragma: no cover - the config's union names every kind
            raise TypeError(f"no receiver for {type(r).__name__}")
    return out
