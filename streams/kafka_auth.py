"""Kafka security settings (SASL/SCRAM, TLS) as keyword arguments for each client library.

Every casewatch Kafka client takes its security from the same settings
(CASEWATCH_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM, _USERNAME, _PASSWORD, _SSL_CAFILE,
_SSL_CERTFILE, _SSL_KEYFILE): `aiokafka_kwargs` for aiokafka consumers, producers and admin
clients, `kafka_python_kwargs` for kafka-python ones, `faust_kwargs` for `faust.App`. They
return only the security part: the caller still passes `bootstrap_servers` (or `broker`).

A combination that cannot work (SASL without a user or password, TLS files with a protocol
without TLS, credentials with a protocol that sends none, a missing file) raises
KafkaSecurityError naming the variables to fix. The password is never part of a message.
"""

import ssl
from pathlib import Path
from typing import Any

from streams.settings import ENV_PREFIX, Settings

_SASL = {"SASL_PLAINTEXT", "SASL_SSL"}
_TLS = {"SSL", "SASL_SSL"}


class KafkaSecurityError(ValueError):
    """The Kafka security settings are incomplete or contradictory."""


def aiokafka_kwargs(settings: Settings) -> dict[str, Any]:
    """Security arguments of AIOKafkaConsumer, AIOKafkaProducer and AIOKafkaAdminClient."""
    kwargs: dict[str, Any] = {"security_protocol": _checked_protocol(settings)}
    kwargs.update(_sasl(settings))
    if settings.kafka_security_protocol in _TLS:
        kwargs["ssl_context"] = _ssl_context(settings)
    return kwargs


def kafka_python_kwargs(settings: Settings) -> dict[str, Any]:
    """Security arguments of kafka-python's KafkaProducer, KafkaConsumer, KafkaAdminClient."""
    return aiokafka_kwargs(settings)  # both libraries name these arguments alike


def faust_kwargs(settings: Settings) -> dict[str, Any]:
    """Arguments of faust.App: `broker_credentials` when the protocol is not PLAINTEXT."""
    import faust

    protocol = _checked_protocol(settings)
    if protocol == "PLAINTEXT":
        return {}
    if protocol == "SSL":
        return {"broker_credentials": faust.SSLCredentials(_ssl_context(settings))}
    sasl = _sasl(settings)
    credentials = faust.SASLCredentials(
        username=sasl["sasl_plain_username"],
        password=sasl["sasl_plain_password"],
        mechanism=sasl["sasl_mechanism"],
        ssl_context=_ssl_context(settings) if protocol == "SASL_SSL" else None,
    )
    return {"broker_credentials": credentials}


def _var(field: str) -> str:
    return ENV_PREFIX + field.upper()


def _checked_protocol(settings: Settings) -> str:
    protocol = settings.kafka_security_protocol
    if protocol not in {"PLAINTEXT", "SSL", *_SASL}:  # settings built without validation
        raise KafkaSecurityError(
            f"{_var('kafka_security_protocol')}={protocol!r} is not one of PLAINTEXT, "
            "SASL_PLAINTEXT, SASL_SSL, SSL")
    has_credentials = bool(settings.kafka_username) or _password(settings) is not None
    if protocol in _SASL:
        missing = [_var(f) for f, value in (("kafka_username", settings.kafka_username),
                                            ("kafka_password", _password(settings)))
                   if not value]
        if missing:
            raise KafkaSecurityError(
                f"{_var('kafka_security_protocol')}={protocol} needs {' and '.join(missing)}")
    elif has_credentials:
        raise KafkaSecurityError(
            f"{_var('kafka_username')}/{_var('kafka_password')} are set but "
            f"{_var('kafka_security_protocol')}={protocol} sends no credentials: "
            "use SASL_PLAINTEXT or SASL_SSL")
    files = _tls_files(settings)
    if protocol not in _TLS and files:
        raise KafkaSecurityError(
            f"{', '.join(files)} set but {_var('kafka_security_protocol')}={protocol} "
            "does not use TLS: use SSL or SASL_SSL")
    if settings.kafka_ssl_keyfile and not settings.kafka_ssl_certfile:
        raise KafkaSecurityError(
            f"{_var('kafka_ssl_keyfile')} needs {_var('kafka_ssl_certfile')}")
    for var, path in files.items():
        if not Path(path).is_file():
            raise KafkaSecurityError(f"{var}: no such file {path}")
    return protocol


def _password(settings: Settings) -> str | None:
    secret = settings.kafka_password
    return (secret.get_secret_value() or None) if secret is not None else None


def _sasl(settings: Settings) -> dict[str, Any]:
    if settings.kafka_security_protocol not in _SASL:
        return {}
    return {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_username,
        "sasl_plain_password": _password(settings),
    }


def _tls_files(settings: Settings) -> dict[str, Path]:
    fields = ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile")
    return {_var(f): getattr(settings, f) for f in fields if getattr(settings, f)}


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the brokers' certificates and host names against the CA file (or the
    system's CAs without one); presents a client certificate when one is set."""
    try:
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH,
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None)
        if settings.kafka_ssl_certfile:
            context.load_cert_chain(
                str(settings.kafka_ssl_certfile),
                str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None)
    except (ssl.SSLError, OSError) as exc:
        files = ", ".join(f"{var}={path}" for var, path in _tls_files(settings).items())
        raise KafkaSecurityError(f"cannot load the TLS files ({files}): {exc}") from None
    return context
