"""Kafka administration with kafka-python: the monitor's topics and consumer group,
and the producer the CLI and the tooling send events with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, OffsetSpec
from kafka.errors import (
    CoordinatorNotAvailableError,
    KafkaError,
    NodeNotReadyError,
    RetriableError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
)

from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.topics import rerouted_topic_names


def monitor_topics(settings: Settings) -> list[str]:
    """The four topics the monitor reads and writes."""
    return [
        settings.listings_topic,
        settings.orders_topic,
        settings.alerts_topic,
        settings.dead_letter_topic,
    ]


def worker_topics(settings: Settings) -> list[str]:
    """The topics a worker makes sure of before Faust starts: the monitor's four and,
    with more than one partition, those of events forwarded by seller_id (read by the
    judging agent beside the inputs, so Faust would not create them)."""
    forwarded = rerouted_topic_names(settings) if settings.topic_partitions > 1 else ()
    return [*monitor_topics(settings), *forwarded]


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
    """The topics a worker creates for itself: ring linking's, forwarded events', changelogs,
    Faust's assignor's."""
    app_id = settings.app_id
    return [
        f"{app_id}-ring-identifiers",
        f"{app_id}-ring-updates",
        *rerouted_topic_names(settings),
        f"{app_id}-__assignor-__leader",
        *(f"{app_id}-{table}-changelog" for table in TABLES),
    ]


def admin_client(kafka: KafkaConnection, timeout_ms: int = 10_000) -> KafkaAdminClient:
    """An admin client for ``kafka``."""
    return KafkaAdminClient(
        **kafka.kafka_python_options(),
        client_id="listing-monitor-admin",
        request_timeout_ms=timeout_ms,
    )


def ensure_topics(
    kafka: KafkaConnection,
    names: Iterable[str],
    partitions: int = 1,
    config: Mapping[str, str] | None = None,
    *,
    replication: int = -1,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Args:
        kafka: The cluster.
        names: Topic names.
        partitions: Partitions of each topic created.
        config: Topic configuration of each topic created (existing topics keep theirs).
        replication: Replicas of each topic created; -1 (the default): the broker's
            ``default.replication.factor``, 1 on the local development broker.

    Raises:
        kafka.errors.KafkaError: when the broker cannot be reached or refuses.
    """
    client = admin_client(kafka)
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
                            "replication_factor": replication,
                            "configs": dict(config or {}),
                        }
                        for n in missing
                    },
                    wait_for_metadata=True,
                )
        return missing
    finally:
        client.close()


def delete_topics(kafka: KafkaConnection, names: Iterable[str]) -> None:
    """Delete topics, ignoring those that do not exist."""
    client = admin_client(kafka)
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


def group_lag(kafka: KafkaConnection, group_id: str, topics: Iterable[str]) -> int:
    """Messages of ``topics`` the group has not committed yet (see :func:`partition_lags`)."""
    client = admin_client(kafka)
    consumer = KafkaConsumer(**kafka.kafka_python_options(), client_id="listing-monitor-lag")
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


def group_members(kafka: KafkaConnection, group_id: str) -> tuple[str, set[str]]:
    """The state of a consumer group and the ids of its members.

    Returns:
        ``(state, member_ids)``; a group that does not exist is ``("Dead", set())``,
        and ``("Unavailable", set())`` while a new broker has no group coordinator yet.
    """
    client = admin_client(kafka)
    try:
        info = client.describe_groups([group_id]).get(group_id, {})
    except (CoordinatorNotAvailableError, NodeNotReadyError):
        return "Unavailable", set()
    finally:
        client.close()
    members = {str(m["member_id"]) for m in info.get("members", [])}
    return str(info.get("group_state", "Dead")), members


def broker_default_replication(kafka: KafkaConnection) -> int:
    """The cluster's ``default.replication.factor`` (of the first broker it lists).

    Needs the DESCRIBE_CONFIGS ACL on the cluster.

    Raises:
        kafka.errors.ClusterAuthorizationFailedError: the user may not read broker configs.
        kafka.errors.KafkaError: the broker did not answer.
    """
    client = admin_client(kafka)
    try:
        node = str(client.describe_cluster()["brokers"][0]["broker_id"])
        wanted = ConfigResource(
            ConfigResourceType.BROKER, node, {"default.replication.factor": None}
        )
        configs = client.describe_configs([wanted], config_filter="all")
        return int(configs["broker"][node]["default.replication.factor"]["value"])
    finally:
        client.close()


def resolve_replication(settings: Settings, kafka: KafkaConnection) -> Settings:
    """``settings`` with a replication factor Faust accepts: -1 (the broker's default)
    replaced by the broker's ``default.replication.factor``.

    Faust refuses -1 for its changelogs, so a worker asks the broker once at start.
    """
    if settings.replication_factor >= 1:
        return settings
    replicas = broker_default_replication(kafka)
    return settings.model_copy(update={"topic_replication_factor": replicas})


def check_topic_access(kafka: KafkaConnection, topic: str) -> None:
    """Ask the broker to describe ``topic``: the way to tell a denied topic from a
    missing one (a consumer sees neither).

    Raises:
        kafka.errors.TopicAuthorizationFailedError: the user may not describe it
            (Kafka says so for missing topics too, not to reveal which exist).
        kafka.errors.KafkaError: the broker did not answer.
    """
    client = admin_client(kafka)
    try:
        described = client.describe_topics([topic])
    finally:
        client.close()
    if any(t.get("error_code") == TopicAuthorizationFailedError.errno for t in described):
        raise TopicAuthorizationFailedError(topic)


def check_group_access(kafka: KafkaConnection, group_id: str) -> None:
    """Ask for the group's committed offsets, which needs the group's DESCRIBE ACL.

    Raises:
        kafka.errors.GroupAuthorizationFailedError: the user may not use the group.
        kafka.errors.KafkaError: the broker did not answer.
    """
    client = admin_client(kafka)
    try:
        client.list_group_offsets({group_id: None})
    except RetriableError:  # no coordinator yet (a new cluster): Faust's consumer waits
        pass
    finally:
        client.close()


def new_producer(kafka: KafkaConnection) -> KafkaProducer:
    """A producer that waits for every in-sync replica's acknowledgement of every message."""
    return KafkaProducer(
        **kafka.kafka_python_options(),
        client_id="listing-monitor-cli",
        acks="all",
        linger_ms=5,
        retries=5,
    )
