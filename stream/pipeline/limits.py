"""Limits on what the monitor reads and writes, and the checks that need a clock.

The contract's bounds that need no clock (lengths, ranges, the schema version)
live in :mod:`schemas.events`. What depends on "now" (how old or how far ahead
an event may be) and on deployment (how large a message may be) is here, in
one frozen :class:`Limits` built from the settings.

Sizes, consistent end to end (README, "Limits"):

* the broker and topics accept messages up to ~1 MiB (Kafka's default
  ``message.max.bytes`` of 1,048,588 bytes; the local broker sets it
  explicitly), and the monitor's producer sends at most
  ``MAX_MESSAGE_BYTES``;
* an input event larger than ``max_event_bytes`` is dead-lettered unread
  (with compression a producer can send larger events than the broker's
  limit);
* a dead letter copies at most ``dead_letter_payload_bytes`` of the payload
  and ``dead_letter_key_bytes`` of the key, so it always fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas import ListingEvent, OrderEvent, to_rfc3339
from stream.settings import Settings

MAX_MESSAGE_BYTES = 1024 * 1024
"""Largest message the monitor's producer sends (alerts, dead letters, states)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on input events and on the messages built from them.

    Attributes:
        max_event_bytes: Larger input messages are dead-lettered without parsing.
        max_event_age: How far in the past an ``event_time`` may lie.
        max_ahead: How far ahead of the monitor's clock any timestamp may lie.
        max_registration_age: How far in the past a ``registered_at`` may lie.
        dead_letter_payload_bytes: Most bytes of a payload copied into a dead letter.
        dead_letter_key_bytes: Most bytes of a key copied into a dead letter.
        max_message_bytes: Largest alert (encoded) the monitor publishes.
    """

    max_event_bytes: int = 1024 * 1024
    max_event_age: timedelta = timedelta(days=3650)
    max_ahead: timedelta = timedelta(hours=1)
    max_registration_age: timedelta = timedelta(days=36525)
    dead_letter_payload_bytes: int = 64 * 1024
    dead_letter_key_bytes: int = 1024
    max_message_bytes: int = MAX_MESSAGE_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits the settings configure."""
        return cls(
            max_event_bytes=settings.max_event_bytes,
            max_event_age=timedelta(days=settings.max_event_age_days),
            max_ahead=timedelta(seconds=settings.max_event_ahead),
            max_registration_age=timedelta(days=settings.max_registration_age_days),
            dead_letter_payload_bytes=settings.dead_letter_payload_bytes,
            dead_letter_key_bytes=settings.dead_letter_key_bytes,
        )


DEFAULT_LIMITS = Limits()


def _window_problem(
    name: str, moment: datetime, now: datetime, max_age: timedelta, max_ahead: timedelta
) -> str | None:
    # Differences of aware datetimes never overflow, unlike conversions to UTC.
    if moment - now > max_ahead:
        return (
            f"{name}: {moment.isoformat()} is more than {_span(max_ahead)} ahead of the "
            f"monitor's clock ({to_rfc3339(now)})"
        )
    if now - moment > max_age:
        return (
            f"{name}: {moment.isoformat()} is more than {_span(max_age)} before the "
            f"monitor's clock ({to_rfc3339(now)})"
        )
    return None


def _span(span: timedelta) -> str:
    """``3650 days``, ``1 hour``, ``90 seconds``."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0 or size == 1:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def time_problems(event: ListingEvent | OrderEvent, now: datetime, limits: Limits) -> list[str]:
    """Every timestamp of ``event`` outside its window around ``now``, named with the bound."""
    problems = [
        _window_problem("event_time", event.event_time, now, limits.max_event_age, limits.max_ahead)
    ]
    if isinstance(event, ListingEvent) and event.seller is not None:
        registered = event.seller.registered_at
        if registered is not None:
            problems.append(
                _window_problem(
                    "seller.registered_at",
                    registered,
                    now,
                    limits.max_registration_age,
                    limits.max_ahead,
                )
            )
    return [p for p in problems if p is not None]
