"""A local broker with a ``SASL_SSL`` listener and Kafka's ACL authorizer, for the security tests.

The certificates are made with ``openssl`` for each test session: a CA, the
broker's certificate for ``127.0.0.1`` signed by it (in a PKCS#12 keystore), and
a second CA that signed nothing (an untrusted one). Users get SCRAM credentials
and ACLs through the admin API over the broker's plaintext listener, whose
clients (``User:ANONYMOUS``) are super users; on the secure listener every
user has only what it was granted.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from stream.topology.acls import AclGrant


@dataclass(frozen=True)
class Certificates:
    ca: Path
    untrusted_ca: Path
    keystore: Path
    keystore_password: str


def _openssl(*arguments: str, cwd: Path) -> None:
    subprocess.run(["openssl", *arguments], cwd=cwd, check=True, capture_output=True)


def _self_signed_ca(directory: Path, name: str) -> None:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN=listing-monitor {name}",
        cwd=directory,
    )  # fmt: skip


def make_certificates(directory: Path) -> Certificates:
    """A CA, the broker's certificate and keystore, and an unrelated CA, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    _self_signed_ca(directory, "ca")
    _self_signed_ca(directory, "untrusted-ca")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "broker.key", "-out", "broker.csr",
        "-subj", "/CN=localhost",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "broker.pem",
        cwd=directory,
    )  # fmt: skip
    password = secrets.token_hex(12)
    _openssl(
        "pkcs12", "-export", "-in", "broker.pem", "-inkey", "broker.key", "-certfile", "ca.pem",
        "-out", "broker.p12", "-passout", f"pass:{password}",
        cwd=directory,
    )  # fmt: skip
    return Certificates(
        ca=directory / "ca.pem",
        untrusted_ca=directory / "untrusted-ca.pem",
        keystore=directory / "broker.p12",
        keystore_password=password,
    )


SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


def secure_properties(
    certificates: Certificates, port: int, secure_port: int, controller_port: int
) -> dict[str, str]:
    """The template's listeners plus ``SECURE`` (SASL_SSL), and the ACL authorizer."""
    return {
        "listeners": (
            f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port},"
            f"SECURE://127.0.0.1:{secure_port}"
        ),
        "advertised.listeners": (f"PLAINTEXT://127.0.0.1:{port},SECURE://127.0.0.1:{secure_port}"),
        "listener.security.protocol.map": (
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SECURE:SASL_SSL"
        ),
        "listener.name.secure.sasl.enabled.mechanisms": "SCRAM-SHA-512,SCRAM-SHA-256",
        "listener.name.secure.scram-sha-512.sasl.jaas.config": SCRAM,
        "listener.name.secure.scram-sha-256.sasl.jaas.config": SCRAM,
        "listener.name.secure.ssl.keystore.type": "PKCS12",
        "listener.name.secure.ssl.keystore.location": str(certificates.keystore),
        "listener.name.secure.ssl.keystore.password": certificates.keystore_password,
        "listener.name.secure.ssl.key.password": certificates.keystore_password,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        # the plaintext listener, the controller and the broker itself: unauthenticated
        "super.users": "User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    }


def add_scram_user(admin: KafkaAdminClient, user: str, password: str) -> None:
    """Give ``user`` SCRAM-SHA-512 and SCRAM-SHA-256 credentials."""
    for mechanism in (ScramMechanism.SCRAM_SHA_512, ScramMechanism.SCRAM_SHA_256):
        # one alteration per user and request
        upsert = UserScramCredentialUpsertion(user, mechanism, password)
        errors = admin.alter_user_scram_credentials([upsert])
        assert errors == {user: None}, errors


RESOURCE_TYPES = {
    "topic": ResourceType.TOPIC,
    "group": ResourceType.GROUP,
    "cluster": ResourceType.CLUSTER,
}


def grant(admin: KafkaAdminClient, user: str, grants: Iterable[AclGrant]) -> None:
    """Create the ACLs ``grants`` describe for ``User:<user>``."""
    acls = [
        ACL(
            principal=f"User:{user}",
            host="*",
            operation=ACLOperation[operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(
                RESOURCE_TYPES[g.resource],
                g.name,
                ACLResourcePatternType.PREFIXED
                if g.pattern == "prefixed"
                else ACLResourcePatternType.LITERAL,
            ),
        )
        for g in grants
        for operation in g.operations
    ]
    result = admin.create_acls(acls)
    assert not result["failed"], result["failed"]
