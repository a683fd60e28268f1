"""cli.kafka_access: kafka-python failures turned into plain reasons (no broker needed)."""

import logging

import pytest
from kafka.errors import KafkaConnectionError, KafkaTimeoutError, TopicAuthorizationFailedError

from cli.kafka_access import KafkaAccessError, explained
from streams.settings import Settings

SECRET = "pw-Kafka-Secret-9"
SASL = Settings(kafka_security_protocol="SASL_SSL", kafka_username="integrator",
                kafka_password=SECRET)
conn_log = logging.getLogger("kafka.net.connection")


def test_a_refused_login_says_authentication_failed_for_the_user():
    with pytest.raises(KafkaAccessError) as info:
        with explained(SASL, "k1:9094", "write topic t"):
            conn_log.error("Connection lost: [Error 58] SaslAuthenticationFailedError: "
                           "Authentication failed during authentication due to invalid "
                           "credentials with SASL mechanism SCRAM-SHA-512")
            raise KafkaTimeoutError("Unable to bootstrap from k1:9094")
    text = str(info.value)
    assert text.startswith("认证失败 authentication failed: Kafka at k1:9094 refused user "
                           "'integrator' (SCRAM-SHA-512)")
    assert "CASEWATCH_KAFKA_PASSWORD" in text and SECRET not in text


def test_an_untrusted_certificate_says_tls():
    with pytest.raises(KafkaAccessError, match="TLS 握手失败 TLS handshake with k1:9094 failed "
                                               r"\(.*CERTIFICATE_VERIFY_FAILED"):
        with explained(SASL, "k1:9094", "write topic t"):
            conn_log.warning("Handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                             "verify failed: self-signed certificate in certificate chain")
            raise KafkaTimeoutError("Unable to bootstrap from k1:9094")


def test_an_unauthorized_topic_names_the_user_and_what_was_refused():
    with pytest.raises(KafkaAccessError) as info:
        with explained(SASL, "k1:9094", "write topic cw.warnings"):
            raise TopicAuthorizationFailedError("cw.warnings")
    assert str(info.value) == ("无权访问 not authorized: Kafka does not let user 'integrator' "
                               "(SCRAM-SHA-512) write topic cw.warnings")


def test_another_kafka_failure_keeps_kafkas_words():
    # nothing listens there: the aiokafka probe finds no reason either
    with pytest.raises(KafkaAccessError,
                       match="^Kafka at 127.0.0.1:1: KafkaConnectionError: down"):
        with explained(Settings(), "127.0.0.1:1", "read topic t"):
            conn_log.warning("Connection refused")
            raise KafkaConnectionError("down")


def test_only_what_was_logged_inside_the_block_counts():
    with explained(SASL, "k1:9094", "write topic t"):
        pass
    conn_log.error("Authentication failed for user x")  # after the block: not watched
    with pytest.raises(KafkaAccessError, match="^Kafka at"):
        with explained(Settings(), "127.0.0.1:1", "write topic t"):
            raise KafkaTimeoutError("Unable to bootstrap")
    assert not [h for h in logging.getLogger("kafka").handlers if type(h).__name__ == "_Watch"]


def test_other_errors_pass_through():
    with pytest.raises(ValueError, match="not kafka"):
        with explained(SASL, "k1:9094", "write topic t"):
            raise ValueError("not kafka")
