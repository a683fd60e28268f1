"""streams.kafka_auth: security settings -> aiokafka, kafka-python and Faust arguments."""

import ssl
import subprocess

import faust
import pytest
from pydantic import ValidationError

from streams.kafka_auth import (
    KafkaSecurityError,
    aiokafka_kwargs,
    faust_kwargs,
    kafka_python_kwargs,
)
from streams.settings import Settings

SECRET = "pw-Kafka-Secret-9"
SASL_ENV = {"CASEWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "CASEWATCH_KAFKA_USERNAME": "casewatch", "CASEWATCH_KAFKA_PASSWORD": SECRET}
CLIENT_KWARGS = [aiokafka_kwargs, kafka_python_kwargs]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed CA certificate and a client certificate with its key (PEM)."""
    d = tmp_path_factory.mktemp("tls")
    for name in ("ca", "client"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={name}", "-keyout", str(d / f"{name}.key"),
                        "-out", str(d / f"{name}.pem")], check=True, capture_output=True)
    return d


def settings(**env: str) -> Settings:
    return Settings.from_env({f"CASEWATCH_{k.upper()}": v for k, v in env.items()})


@pytest.mark.parametrize("kwargs", CLIENT_KWARGS)
def test_plaintext_by_default(kwargs):
    assert kwargs(Settings()) == {"security_protocol": "PLAINTEXT"}
    assert faust_kwargs(Settings()) == {}


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize("kwargs", CLIENT_KWARGS)
def test_sasl_scram(kwargs, mechanism):
    s = Settings.from_env({**SASL_ENV, "CASEWATCH_KAFKA_SASL_MECHANISM": mechanism})
    assert kwargs(s) == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism,
                         "sasl_plain_username": "casewatch", "sasl_plain_password": SECRET}


def test_scram_sha_512_is_the_default_mechanism():
    assert aiokafka_kwargs(Settings.from_env(SASL_ENV))["sasl_mechanism"] == "SCRAM-SHA-512"


@pytest.mark.parametrize("kwargs", CLIENT_KWARGS)
def test_sasl_ssl_verifies_the_broker_against_the_ca_file(kwargs, tls_files):
    s = Settings.from_env({**SASL_ENV, "CASEWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                           "CASEWATCH_KAFKA_SSL_CAFILE": str(tls_files / "ca.pem")})
    got = kwargs(s)
    context = got.pop("ssl_context")
    assert got["security_protocol"] == "SASL_SSL" and got["sasl_plain_password"] == SECRET
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "ca"),),)]


def test_ssl_with_a_client_certificate(tls_files):
    s = settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(tls_files / "ca.pem"),
                 kafka_ssl_certfile=str(tls_files / "client.pem"),
                 kafka_ssl_keyfile=str(tls_files / "client.key"))
    got = aiokafka_kwargs(s)
    assert set(got) == {"security_protocol", "ssl_context"} and got["security_protocol"] == "SSL"
    credentials = faust_kwargs(s)["broker_credentials"]
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol.value == "SSL"


def test_ssl_without_a_ca_file_uses_the_system_cas():
    context = aiokafka_kwargs(settings(kafka_security_protocol="SSL"))["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize("protocol,tls", [("SASL_PLAINTEXT", False), ("SASL_SSL", True)])
def test_faust_gets_sasl_credentials(protocol, tls, tls_files):
    env = {**SASL_ENV, "CASEWATCH_KAFKA_SECURITY_PROTOCOL": protocol,
           "CASEWATCH_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256"}
    if tls:
        env["CASEWATCH_KAFKA_SSL_CAFILE"] = str(tls_files / "ca.pem")
    credentials = faust_kwargs(Settings.from_env(env))["broker_credentials"]
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == protocol
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert (credentials.username, credentials.password) == ("casewatch", SECRET)
    assert isinstance(credentials.ssl_context, ssl.SSLContext) == tls
    assert SECRET not in repr(credentials)


def test_faust_app_accepts_the_credentials():
    app = faust.App("cw-auth-test", broker="kafka://127.0.0.1:1",
                    **faust_kwargs(Settings.from_env(SASL_ENV)))
    assert app.conf.broker_credentials.username == "casewatch"


def test_password_never_shown():
    s = Settings.from_env(SASL_ENV)
    for text in (repr(s), str(s), s.model_dump_json(), str(s.model_dump())):
        assert SECRET not in text
    assert "casewatch" in repr(s)


@pytest.mark.parametrize("var,value", [("KAFKA_SECURITY_PROTOCOL", "SASL_TLS"),
                                       ("KAFKA_SECURITY_PROTOCOL", "sasl_plaintext"),
                                       ("KAFKA_SECURITY_PROTOCOL", ""),
                                       ("KAFKA_SASL_MECHANISM", "PLAIN"),
                                       ("KAFKA_SASL_MECHANISM", "SCRAM-SHA-1")])
def test_unknown_protocol_or_mechanism_is_refused_by_the_settings(var, value):
    with pytest.raises(ValidationError) as info:
        Settings.from_env({**SASL_ENV, f"CASEWATCH_{var}": value})
    assert info.value.errors()[0]["loc"] == (var.lower(),)
    assert SECRET not in str(info.value)


def test_an_unvalidated_unknown_protocol_is_refused_too():
    s = Settings.model_construct(kafka_security_protocol="KERBEROS")
    for kwargs in (aiokafka_kwargs, kafka_python_kwargs, faust_kwargs):
        with pytest.raises(KafkaSecurityError, match="'KERBEROS' is not one of PLAINTEXT"):
            kwargs(s)


@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
@pytest.mark.parametrize("drop,missing", [
    (["CASEWATCH_KAFKA_USERNAME"], "needs CASEWATCH_KAFKA_USERNAME$"),
    (["CASEWATCH_KAFKA_PASSWORD"], "needs CASEWATCH_KAFKA_PASSWORD$"),
    (["CASEWATCH_KAFKA_USERNAME", "CASEWATCH_KAFKA_PASSWORD"],
     "needs CASEWATCH_KAFKA_USERNAME and CASEWATCH_KAFKA_PASSWORD$"),
])
def test_sasl_without_user_or_password_is_refused(protocol, drop, missing):
    env = {k: v for k, v in SASL_ENV.items() if k not in drop}
    env["CASEWATCH_KAFKA_SECURITY_PROTOCOL"] = protocol
    s = Settings.from_env(env)
    for kwargs in (aiokafka_kwargs, kafka_python_kwargs, faust_kwargs):
        with pytest.raises(KafkaSecurityError, match=f"={protocol} {missing}"):
            kwargs(s)


def test_an_empty_password_counts_as_missing():
    s = Settings.from_env({**SASL_ENV, "CASEWATCH_KAFKA_PASSWORD": ""})
    with pytest.raises(KafkaSecurityError, match="needs CASEWATCH_KAFKA_PASSWORD"):
        aiokafka_kwargs(s)


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL"])
def test_credentials_with_a_protocol_that_sends_none_are_refused(protocol):
    s = Settings.from_env({**SASL_ENV, "CASEWATCH_KAFKA_SECURITY_PROTOCOL": protocol})
    with pytest.raises(KafkaSecurityError, match=f"={protocol} sends no credentials") as info:
        faust_kwargs(s)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT"])
def test_tls_files_with_a_protocol_without_tls_are_refused(protocol, tls_files):
    env = {**SASL_ENV, "CASEWATCH_KAFKA_SECURITY_PROTOCOL": protocol,
           "CASEWATCH_KAFKA_SSL_CAFILE": str(tls_files / "ca.pem")}
    if protocol == "PLAINTEXT":
        env = {k: v for k, v in env.items() if k not in SASL_ENV or "PROTOCOL" in k}
    with pytest.raises(KafkaSecurityError,
                       match=f"CASEWATCH_KAFKA_SSL_CAFILE set but .*={protocol} does not use TLS"):
        aiokafka_kwargs(Settings.from_env(env))


def test_a_missing_ca_file_is_named(tmp_path):
    s = settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(tmp_path / "nope.pem"))
    with pytest.raises(KafkaSecurityError, match="CASEWATCH_KAFKA_SSL_CAFILE: no such file"):
        kafka_python_kwargs(s)


def test_a_key_without_a_certificate_is_refused(tls_files):
    s = settings(kafka_security_protocol="SSL", kafka_ssl_keyfile=str(tls_files / "client.key"))
    with pytest.raises(KafkaSecurityError, match="KEYFILE needs CASEWATCH_KAFKA_SSL_CERTFILE"):
        aiokafka_kwargs(s)


def test_a_ca_file_that_is_not_pem_is_refused(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    s = settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(bad))
    with pytest.raises(KafkaSecurityError, match=r"cannot load the TLS files \(CASEWATCH_KAFKA"):
        faust_kwargs(s)


def test_a_key_that_does_not_match_the_certificate_is_refused(tls_files):
    s = settings(kafka_security_protocol="SSL", kafka_ssl_certfile=str(tls_files / "client.pem"),
                 kafka_ssl_keyfile=str(tls_files / "ca.key"))
    with pytest.raises(KafkaSecurityError, match="cannot load the TLS files"):
        aiokafka_kwargs(s)
