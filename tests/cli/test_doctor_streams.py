"""cli.doctor_streams: message limits and the clock, in plain words."""

import time
from types import SimpleNamespace

import pytest
from kafka.errors import KafkaTimeoutError

from cli import doctor_streams
from streams.settings import Settings


class Producer:
    def __init__(self, broker_offset: float | None, error: Exception | None = None):
        self.broker_offset, self.error = broker_offset, error

    def send(self, topic, value, key, timestamp_ms):
        if self.error:
            raise self.error
        stamp = timestamp_ms if self.broker_offset is None else \
            int((time.time() + self.broker_offset) * 1000)
        return SimpleNamespace(get=lambda timeout: SimpleNamespace(timestamp=stamp))

    def close(self):
        pass


@pytest.mark.parametrize("offset, ok, words", [
    (0.0, True, "off the broker's."),
    (-30.0, False, "+30.0 s off the broker's, over 10 s"),
    (25.0, False, "-25.0 s off"),
])
def test_the_clock_against_the_broker_s(monkeypatch, offset, ok, words):
    monkeypatch.setattr(doctor_streams.kafka_clients, "producer",
                        lambda settings, **kw: Producer(offset))
    finding = doctor_streams.check_clock(Settings())
    assert finding.ok is ok and words in finding.en
    assert ("超过" in finding.zh) is not ok


def test_a_clock_topic_that_keeps_the_producer_s_time_is_a_problem(monkeypatch):
    monkeypatch.setattr(doctor_streams.kafka_clients, "producer",
                        lambda settings, **kw: Producer(None))
    finding = doctor_streams.check_clock(Settings())
    assert not finding.ok and "does not stamp LogAppendTime" in finding.en


def test_kafka_away_is_said(monkeypatch):
    monkeypatch.setattr(doctor_streams.kafka_clients, "producer",
                        lambda settings, **kw: Producer(0, KafkaTimeoutError("no broker")))
    assert "cannot be compared" in doctor_streams.check_clock(Settings()).en


def test_a_topic_accepting_too_little_is_named(monkeypatch):
    monkeypatch.setattr(doctor_streams, "describe_limits", lambda settings: {
        "casewatch.warnings": {"max.message.bytes": "50000"}})
    finding = doctor_streams.check_limits(Settings())
    assert not finding.ok and "casewatch.warnings accepts messages of 50000" in finding.en
    monkeypatch.setattr(doctor_streams, "describe_limits", lambda settings: {})
    assert doctor_streams.check_limits(Settings()).ok
