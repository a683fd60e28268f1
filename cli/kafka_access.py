"""Plain-words reasons for the Kafka failures of the commands (kafka-python clients).

kafka-python reports a refused login only in its log, and not always (the broker closes
the connection right after refusing it), then times out ("Unable to bootstrap"); a consumer
of a topic it may not read just gets nothing. `explained()` listens to its log while a
command connects, asks aiokafka (which always logs why) when that log says nothing, and
turns the failure into a KafkaAccessError saying what happened: authentication failed for
user X, the broker's TLS certificate was not trusted, user X may not read or write topic T
(also `Access.check_topics`), the topic does not exist, or Kafka's own error. The password
is never part of a message.
"""

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaAdminClient
from kafka.errors import KafkaError, TopicAuthorizationFailedError, UnknownTopicOrPartitionError

from streams.kafka_auth import aiokafka_kwargs, kafka_python_kwargs
from streams.settings import Settings

_AUTH_FAILED = re.compile(r"authentication ?failed", re.IGNORECASE)
_TLS_FAILED = re.compile(r"\[SSL|certificate verify failed|SSLError")


class KafkaAccessError(Exception):
    """A Kafka failure explained for the person running the command."""


class _Watch(logging.Handler):
    """Remembers what kafka-python logged about logins and TLS."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.auth_failed = False
        self.tls_failure: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if _AUTH_FAILED.search(text):
            self.auth_failed = True
        elif _TLS_FAILED.search(text) and self.tls_failure is None:
            self.tls_failure = text


def _who(settings: Settings) -> str:
    if settings.kafka_security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        return f"user {settings.kafka_username!r} ({settings.kafka_sasl_mechanism})"
    return f"this client ({settings.kafka_security_protocol})"


class Access:
    """Handed out by `explained`: checks the topics a client could not find."""

    def __init__(self, settings: Settings, bootstrap: str):
        self.settings, self.bootstrap = settings, bootstrap

    def check_topics(self, verb: str, wanted: list[str], visible: set[str]) -> None:
        """Raise if a wanted topic the client cannot see is missing or forbidden. Kafka answers
        "not authorized" for a topic the principal may not describe, whether or not it
        exists, so that is what the message says."""
        missing = [t for t in wanted if t not in visible]
        if not missing:
            return
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap,
                                 **kafka_python_kwargs(self.settings))
        try:
            described = admin.describe_topics(missing)
        finally:
            admin.close()
        for topic in described:
            if topic["error_code"] == TopicAuthorizationFailedError.errno:
                raise KafkaAccessError(
                    f"无权访问 not authorized: Kafka does not let {_who(self.settings)} "
                    f"{verb} topic {topic['name']} (nor say whether it exists)")
        absent = [t["name"] for t in described
                  if t["error_code"] == UnknownTopicOrPartitionError.errno]
        if absent:
            raise KafkaAccessError(f"主题不存在 topic {', '.join(absent)} does not exist on "
                                   f"{self.bootstrap}")


@contextmanager
def explained(settings: Settings, bootstrap: str, action: str) -> Iterator[Access]:
    """Raise KafkaAccessError, with the reason, for a Kafka failure inside the block.

    `action` names what the block does to which topic, e.g. "write topic casewatch.x".
    """
    watch = _Watch()
    loggers = [logging.getLogger(name) for name in ("kafka", "aiokafka")]
    for logger in loggers:
        logger.addHandler(watch)
    try:
        yield Access(settings, bootstrap)
    except TopicAuthorizationFailedError:
        raise KafkaAccessError(f"无权访问 not authorized: Kafka does not let {_who(settings)} "
                               f"{action}") from None
    except KafkaError as exc:
        if not (watch.auth_failed or watch.tls_failure):
            _probe(settings, bootstrap)  # its log tells the watch why
        if watch.auth_failed:
            raise KafkaAccessError(
                f"认证失败 authentication failed: Kafka at {bootstrap} refused {_who(settings)}; "
                "check CASEWATCH_KAFKA_USERNAME, CASEWATCH_KAFKA_PASSWORD and "
                "CASEWATCH_KAFKA_SASL_MECHANISM") from None
        if watch.tls_failure:
            raise KafkaAccessError(
                f"TLS 握手失败 TLS handshake with {bootstrap} failed ({watch.tls_failure}); "
                "check CASEWATCH_KAFKA_SSL_CAFILE and CASEWATCH_KAFKA_SECURITY_PROTOCOL") from None
        raise KafkaAccessError(f"Kafka at {bootstrap}: {exc}") from None
    finally:
        for logger in loggers:
            logger.removeHandler(watch)


def _probe(settings: Settings, bootstrap: str) -> None:
    """Connect once more with aiokafka, which logs a refused login or TLS handshake every
    time (kafka-python may see only the broker closing the connection after one)."""
    import asyncio

    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError as AIOKafkaError

    async def connect() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10_000,
                                    **aiokafka_kwargs(settings))
        try:
            await producer.start()
        except AIOKafkaError:
            pass
        finally:
            await producer.stop()

    asyncio.run(connect())
