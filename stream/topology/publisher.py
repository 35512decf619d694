"""Handing alerts, dead letters and ring linking's messages to Faust's producer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from stream.logs import Throttle
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import Record

logger = logging.getLogger(__name__)


class Publisher:
    """Publishes the records of judged batches to their topics.

    A record that cannot even be handed to the producer (Kafka unreachable
    for longer than the producer buffers) is retried until it can: the batch
    stays unacknowledged meanwhile, so nothing judged is lost and nothing
    after it is committed. A delivery the broker refuses later is counted in
    ``listing_monitor_publish_errors_total`` and logged.
    """

    RETRY_MAX_SECONDS = 5.0

    def __init__(self, topics: Mapping[str, Any], metrics: MonitorMetrics) -> None:
        self.topics = topics
        self._errors = {name: metrics.publish_errors.labels(name) for name in topics}
        self._on_delivery = {name: partial(self._delivered, name) for name in topics}
        self._log = Throttle(logger, interval=60.0)

    async def publish(self, records: list[Record]) -> None:
        """Hand every record to the producer, in order."""
        for record in records:
            await self._send(record)

    async def _send(self, record: Record) -> None:
        topic = self.topics[record.topic]
        pause = 0.1
        while True:
            try:
                delivery = await topic.send(
                    key=record.key, value=record.value, partition=record.partition
                )
            except Exception as exc:
                self._log.log(
                    ("send", type(exc).__name__),
                    logging.ERROR,
                    "cannot hand a message for %s to the producer (%s: %s); retrying "
                    "(the batch stays uncommitted meanwhile)",
                    topic.get_topic_name(),
                    type(exc).__name__,
                    exc,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.RETRY_MAX_SECONDS)
                continue
            delivery.add_done_callback(self._on_delivery[record.topic])
            return

    def _delivered(self, name: str, delivery: asyncio.Future[Any]) -> None:
        if delivery.cancelled() or delivery.exception() is None:
            return
        exc = delivery.exception()
        self._errors[name].inc()
        self._log.log(
            ("delivery", name, type(exc).__name__),
            logging.ERROR,
            "the broker refused a message for %s: %s: %s",
            self.topics[name].get_topic_name(),
            type(exc).__name__,
            exc,
        )
