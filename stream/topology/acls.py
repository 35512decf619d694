"""The Kafka ACLs the monitor needs: the least a worker and each CLI command may be granted.

The README's "Least privilege" table is this list for the default settings (a
test compares them), ``listing-monitor kafka acls`` prints it as
``kafka-acls.sh`` commands for the current settings, and the security
integration test grants exactly it to the worker's user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stream.settings import Settings

ResourceKind = Literal["topic", "group", "cluster"]
PatternKind = Literal["literal", "prefixed"]
Operation = Literal["READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS"]

CLUSTER = "kafka-cluster"
"""The name of Kafka's one cluster resource."""


@dataclass(frozen=True)
class AclGrant:
    """Operations allowed on one resource (a topic, consumer group or the cluster, or a
    name prefix).

    Attributes:
        user_of: Who needs it: ``worker`` or a CLI command.
        resource: ``topic``, ``group`` or ``cluster``.
        name: The resource's name, or the prefix of its names.
        pattern: ``literal`` (that name) or ``prefixed`` (every name starting with it).
        operations: What may be done.
        why: What it is for.
        optional: Not always needed (the condition is in ``why``).
    """

    user_of: str
    resource: ResourceKind
    name: str
    pattern: PatternKind
    operations: tuple[Operation, ...]
    why: str
    optional: bool = False


def worker_grants(settings: Settings) -> list[AclGrant]:
    """What ``listing-monitor worker`` needs."""
    inputs = (settings.listings_topic, settings.orders_topic)
    outputs = (settings.alerts_topic, settings.dead_letter_topic)
    return [
        *(
            AclGrant("worker", "topic", name, "literal", ("READ", "DESCRIBE"), "reads the events")
            for name in inputs
        ),
        *(
            AclGrant(
                "worker",
                "topic",
                name,
                "literal",
                ("WRITE", "DESCRIBE"),
                "publishes alerts and dead letters",
            )
            for name in outputs
        ),
        AclGrant(
            "worker",
            "group",
            settings.app_id,
            "literal",
            ("READ", "DESCRIBE"),
            "its consumer group: joins, commits; the lag probe reads the committed offsets",
        ),
        AclGrant(
            "worker",
            "topic",
            f"{settings.app_id}-",
            "prefixed",
            ("CREATE", "READ", "WRITE", "DESCRIBE"),
            "its internal topics: the tables' changelogs, ring linking's, Faust's assignor's",
        ),
        AclGrant(
            "worker",
            "cluster",
            CLUSTER,
            "literal",
            ("DESCRIBE_CONFIGS",),
            "reads the brokers' default.replication.factor at start; not needed when "
            "LISTING_MONITOR_TOPIC_REPLICATION_FACTOR is 1 or more",
            optional=True,
        ),
        *(
            AclGrant(
                "worker",
                "topic",
                name,
                "literal",
                ("CREATE",),
                "creates the topic when it is missing; not needed when it exists",
                optional=True,
            )
            for name in (*inputs, *outputs)
        ),
    ]


def cli_grants(settings: Settings) -> list[AclGrant]:
    """What the CLI commands that talk to a remote cluster need."""
    return [
        *(
            AclGrant(
                "produce, simulate --rate",
                "topic",
                name,
                "literal",
                ("WRITE", "DESCRIBE"),
                "sends events",
            )
            for name in (settings.listings_topic, settings.orders_topic)
        ),
        AclGrant(
            "alerts tail",
            "topic",
            settings.alerts_topic,
            "literal",
            ("READ", "DESCRIBE"),
            "reads alerts (without a consumer group)",
        ),
    ]


def all_grants(settings: Settings) -> list[AclGrant]:
    """The worker's grants, then the CLI's."""
    return [*worker_grants(settings), *cli_grants(settings)]


def kafka_acls_command(grant: AclGrant, principal: str, bootstrap: str) -> str:
    """The ``kafka-acls.sh`` command line that creates ``grant`` for ``principal``."""
    target = {"topic": f"--topic {grant.name}", "group": f"--group {grant.name}"}.get(
        grant.resource, "--cluster"
    )
    operations = " ".join(f"--operation {op.title().replace('_', '')}" for op in grant.operations)
    pattern = " --resource-pattern-type prefixed" if grant.pattern == "prefixed" else ""
    return (
        f"kafka-acls.sh --bootstrap-server {bootstrap} --add --allow-principal {principal} "
        f"{operations} {target}{pattern}"
    )
