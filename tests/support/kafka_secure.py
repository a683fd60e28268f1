"""The local secure broker of `deploy/stack start kafka-secure` (docs/kafka-security.md):
its endpoints, users and certificates, and one topic prefix and app id on it with their
ACLs granted, for the tests that log in to it."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import (
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePatternFilter,
    ResourceType,
)

from streams.kafka_auth import kafka_python_kwargs
from streams.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CASEWATCH = Path(sys.executable).parent / "casewatch"
STATE = Path(os.environ.get("CASEWATCH_STATE_DIR", REPO / ".state"))
TLS = STATE / "kafka-secure" / "tls"
CA_FILE = TLS / "ca.pem"
SASL_PLAINTEXT, SASL_SSL, MTLS = "127.0.0.1:19092", "127.0.0.1:19094", "127.0.0.1:19095"
PASSWORDS = {  # deploy/stack's local defaults unless overridden
    "admin": os.environ.get("CASEWATCH_SECURE_ADMIN_PASSWORD", "admin-secret"),
    "casewatch": os.environ.get("CASEWATCH_SECURE_WORKER_PASSWORD", "casewatch-secret"),
    "integrator": os.environ.get("CASEWATCH_SECURE_INTEGRATOR_PASSWORD", "integrator-secret"),
}


def client_env(user: str, password: str | None = None, tls: bool = False,
               mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
    """casewatch's settings for logging in as `user` with SCRAM."""
    env = {
        "CASEWATCH_KAFKA_BOOTSTRAP": SASL_SSL if tls else SASL_PLAINTEXT,
        "CASEWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_SSL" if tls else "SASL_PLAINTEXT",
        "CASEWATCH_KAFKA_SASL_MECHANISM": mechanism,
        "CASEWATCH_KAFKA_USERNAME": user,
        "CASEWATCH_KAFKA_PASSWORD": PASSWORDS[user] if password is None else password,
    }
    if tls:
        env["CASEWATCH_KAFKA_SSL_CAFILE"] = str(CA_FILE)
    return env


def client_certificate(name: str) -> tuple[Path, Path]:
    """(certificate, key) of the local CA for principal User:`name` on the mTLS listener."""
    subprocess.run([str(REPO / "deploy" / "stack"), "client-cert", name], cwd=REPO, check=True,
                   capture_output=True, timeout=60)
    return TLS / "clients" / f"{name}.pem", TLS / "clients" / f"{name}.key"


def admin_client() -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=SASL_PLAINTEXT, **kafka_python_kwargs(
        Settings.from_env(client_env("admin"))))


class Secure:
    """One topic prefix and app id on the secure broker, with their ACLs granted."""

    def __init__(self, stack):
        tag = uuid.uuid4().hex[:8]
        self.base = {"CASEWATCH_TOPIC_PREFIX": f"sec{tag}.", "CASEWATCH_APP_ID": f"sec{tag}"}
        stack.start("kafka-secure")
        subprocess.run([str(REPO / "deploy" / "stack"), "acls"], cwd=REPO, check=True,
                       env={**os.environ, **self.base}, capture_output=True, timeout=120)
        self.worker_env = {**self.base, **client_env("casewatch", tls=True)}
        self.settings = Settings.from_env(self.worker_env)

    def topic(self, name: str) -> str:
        return self.settings.topic(name)

    def casewatch(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CASEWATCH), *args], env={**os.environ, **self.base, **env},
                              capture_output=True, text=True, timeout=120)

    def close(self):
        """Delete the topics and the ACLs that `deploy/stack acls` granted for them."""
        admin = admin_client()
        prefix, app_id = self.base["CASEWATCH_TOPIC_PREFIX"], self.base["CASEWATCH_APP_ID"]
        admin.delete_topics([t for t in admin.list_topics() if t.startswith((prefix, app_id))])
        admin.delete_acls([
            ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY,
                      ResourcePatternFilter(ResourceType.ANY, name, ACLResourcePatternType.ANY))
            for name in (prefix, f"{app_id}-", app_id, f"{prefix}case-events")])
        admin.close()
