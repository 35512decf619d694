"""Consumer lag of this worker's input partitions, asked of the broker on a timer.

Lag is the end offset of a partition minus the group's committed offset, so
it stays true while the agent is stuck (it grows) or the marketplace is idle
(it stays at zero): nothing here depends on the worker's own progress
reports. Each worker reports the partitions assigned to it, so the group's
lag is the sum over workers.

The lag in seconds of a stream is how old the last judged event of that
stream is (its Kafka timestamp against now) while messages of the stream wait
on this worker's partitions, and zero once none do: an idle stream is not late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient

from stream.logs import Throttle
from stream.pipeline.metrics import MonitorMetrics
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import admin_client, partition_lags

logger = logging.getLogger(__name__)

Partition = tuple[str, int]


class LagProbe:
    """Asks the broker for end and committed offsets (kafka-python's admin client, blocking).

    The client is made on first use and kept; after a failure it is closed and
    made again on the next call.

    Args:
        kafka: The cluster.
        group_id: The consumer group whose committed offsets count.
        timeout_ms: Longest wait for one answer of the broker.
    """

    def __init__(self, kafka: KafkaConnection, group_id: str, timeout_ms: int = 5_000) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.timeout_ms = timeout_ms
        self._admin: KafkaAdminClient | None = None

    def measure(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """The lag of each partition (messages); see
        :func:`~stream.topology.kafka_admin.partition_lags`.

        Raises:
            kafka.errors.KafkaError: when the broker does not answer.
        """
        tps = [TopicPartition(topic, partition) for topic, partition in partitions]
        if not tps:
            return {}
        try:
            if self._admin is None:
                self._admin = admin_client(self.kafka, self.timeout_ms)
            lags = partition_lags(self._admin, self.group_id, tps)
        except Exception:
            self.close()
            raise
        return {(tp.topic, tp.partition): lag for tp, lag in lags.items()}

    def close(self) -> None:
        """Close the client (it is made again when needed)."""
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:  # closing a broken client: nothing to do
                logger.debug("closing the lag client failed", exc_info=True)
        self._admin = None


def lag_seconds(
    waiting: Mapping[str, int], last_judged: Mapping[str, float], now: float
) -> dict[str, float]:
    """Per stream: the age of its last judged event while its messages wait, else 0.

    Args:
        waiting: Messages waiting per stream (summed over this worker's partitions).
        last_judged: Kafka timestamp (Unix seconds) of the last judged event per stream.
        now: The current time (Unix seconds).
    """
    return {
        stream: max(0.0, now - last_judged[stream]) if count > 0 and stream in last_judged else 0.0
        for stream, count in waiting.items()
    }


class LagReporter:
    """Turns measured lags into the lag gauges, dropping partitions this worker lost.

    Args:
        metrics: The gauges ``consumer_lag`` and ``consumer_lag_seconds``.
        streams: Input topic name to the stream it carries.
        last_judged: The Kafka timestamp of the last judged event per stream.
        clock: The current Unix time.
    """

    def __init__(
        self,
        metrics: MonitorMetrics,
        streams: Mapping[str, str],
        last_judged: Callable[[], Mapping[str, float]],
        clock: Callable[[], float],
    ) -> None:
        self.metrics = metrics
        self.streams = dict(streams)
        self.last_judged = last_judged
        self.clock = clock
        self.reported: set[tuple[str, str]] = set()
        self._failures = Throttle(logger, interval=300.0)

    def inputs(self, assignment: Iterable[Any]) -> list[Partition]:
        """The input partitions among a consumer's assignment (Faust TPs)."""
        return sorted((tp.topic, tp.partition) for tp in assignment if tp.topic in self.streams)

    def report(self, lags: Mapping[Partition, int]) -> None:
        """Set the gauges from one measurement."""
        waiting = dict.fromkeys(self.streams.values(), 0)
        current = set()
        for (topic, partition), lag in lags.items():
            stream = self.streams[topic]
            labels = (stream, str(partition))
            self.metrics.consumer_lag.labels(*labels).set(lag)
            current.add(labels)
            waiting[stream] += lag
        for labels in self.reported - current:  # moved to another worker
            self.metrics.consumer_lag.remove(*labels)
        self.reported = current
        for stream, seconds in lag_seconds(waiting, self.last_judged(), self.clock()).items():
            self.metrics.consumer_lag_seconds.labels(stream).set(seconds)

    def failed(self, exc: Exception) -> None:
        """A measurement failed: the gauges keep their last values; say so (throttled)."""
        self.metrics.lag_probe_errors.inc()
        self._failures.log(
            type(exc).__name__,
            logging.WARNING,
            "could not measure the consumer lag (%s: %s); the lag gauges keep their last values",
            type(exc).__name__,
            exc,
        )
