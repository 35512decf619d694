"""Kafka administration with kafka-python: the monitor's topics and consumer group,
and the producer the CLI and the tooling send events with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec
from kafka.errors import (
    CoordinatorNotAvailableError,
    KafkaError,
    NodeNotReadyError,
    TopicAlreadyExistsError,
)

from stream.settings import Settings


def monitor_topics(settings: Settings) -> list[str]:
    """The four topics the monitor reads and writes."""
    return [
        settings.listings_topic,
        settings.orders_topic,
        settings.alerts_topic,
        settings.dead_letter_topic,
    ]


# The Faust tables of a worker: each has a changelog topic ``<app-id>-<table>-changelog``.
TABLES = (
    "seller-state",
    "reference-prices",
    "ring-identifiers",
    "ring-edges",
    "ring-of",
    "rings",
    "ring-statuses",
    "ring-soft",
)


def internal_topics(settings: Settings) -> list[str]:
    """The topics a worker creates for itself: ring linking's, changelogs, Faust's assignor's."""
    app_id = settings.app_id
    return [
        f"{app_id}-ring-identifiers",
        f"{app_id}-ring-updates",
        f"{app_id}-__assignor-__leader",
        *(f"{app_id}-{table}-changelog" for table in TABLES),
    ]


def admin_client(bootstrap: str, timeout_ms: int = 10_000) -> KafkaAdminClient:
    """An admin client for ``bootstrap`` (comma-separated host:port list)."""
    return KafkaAdminClient(
        bootstrap_servers=bootstrap.split(","),
        client_id="listing-monitor-admin",
        request_timeout_ms=timeout_ms,
    )


def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int = 1,
    config: Mapping[str, str] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Args:
        bootstrap: Comma-separated broker addresses.
        names: Topic names.
        partitions: Partitions of each topic created.
        config: Topic configuration of each topic created (existing topics keep theirs).

    Raises:
        kafka.errors.KafkaError: when the broker cannot be reached or refuses.
    """
    client = admin_client(bootstrap)
    try:
        existing = set(client.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if missing:
            # another worker may create them concurrently: fine
            with contextlib.suppress(TopicAlreadyExistsError):
                # wait_for_metadata: the broker's metadata may lag the controller
                # (seen: a topic just created missing from the next list_topics)
                client.create_topics(
                    {
                        n: {
                            "num_partitions": partitions,
                            "replication_factor": 1,
                            "configs": dict(config or {}),
                        }
                        for n in missing
                    },
                    wait_for_metadata=True,
                )
        return missing
    finally:
        client.close()


def delete_topics(bootstrap: str, names: Iterable[str]) -> None:
    """Delete topics, ignoring those that do not exist."""
    client = admin_client(bootstrap)
    try:
        existing = set(client.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            with contextlib.suppress(KafkaError):  # best effort: used in cleanup
                client.delete_topics(doomed)
    finally:
        client.close()


def partition_lags(
    client: KafkaAdminClient, group_id: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """End offset minus the group's committed offset, per partition; a partition
    the group never committed counts from its beginning.

    Raises:
        kafka.errors.KafkaError: when the broker does not answer.
    """
    tps = list(partitions)
    if not tps:
        return {}
    committed = client.list_group_offsets({group_id: tps}).get(group_id, {})
    ends = client.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
    missing = [tp for tp in tps if committed.get(tp) is None or committed[tp].offset < 0]
    beginnings = (
        client.list_partition_offsets(dict.fromkeys(missing, OffsetSpec.EARLIEST))
        if missing
        else {}
    )
    lags = {}
    for tp in tps:
        done = committed.get(tp)
        start = done.offset if done is not None and done.offset >= 0 else beginnings[tp].offset
        lags[tp] = max(0, ends[tp].offset - start)
    return lags


def group_lag(bootstrap: str, group_id: str, topics: Iterable[str]) -> int:
    """Messages of ``topics`` the group has not committed yet (see :func:`partition_lags`)."""
    client = admin_client(bootstrap)
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","), client_id="listing-monitor-lag"
    )
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        return sum(partition_lags(client, group_id, partitions).values())
    finally:
        consumer.close()
        client.close()


def group_members(bootstrap: str, group_id: str) -> tuple[str, set[str]]:
    """The state of a consumer group and the ids of its members.

    Returns:
        ``(state, member_ids)``; a group that does not exist is ``("Dead", set())``,
        and ``("Unavailable", set())`` while a new broker has no group coordinator yet.
    """
    client = admin_client(bootstrap)
    try:
        info = client.describe_groups([group_id]).get(group_id, {})
    except (CoordinatorNotAvailableError, NodeNotReadyError):
        return "Unavailable", set()
    finally:
        client.close()
    members = {str(m["member_id"]) for m in info.get("members", [])}
    return str(info.get("group_state", "Dead")), members


def new_producer(bootstrap: str) -> KafkaProducer:
    """A producer that waits for the broker's acknowledgement of every message."""
    return KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        client_id="listing-monitor-cli",
        acks="all",
        linger_ms=5,
        retries=5,
    )
