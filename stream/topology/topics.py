"""The app's topics whose keys and values stay raw bytes: the input and output
topics, and the internal ones the workers send each other (Faust creates those)."""

from __future__ import annotations

from typing import Any

from stream.settings import Settings


def raw_topic(app: Any, *names: str) -> Any:
    """A topic (or several read as one) whose keys and values stay raw bytes."""
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )


def internal_topic(app: Any, name: str, partitions: int) -> Any:
    """A raw topic of the app's own, created by Faust with ``partitions`` partitions."""
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
        internal=True,
    )


def rerouted_topic_names(settings: Settings) -> tuple[str, str]:
    """The topics of listings and orders forwarded by seller_id (their key was another)."""
    return f"{settings.app_id}-listings-by-seller", f"{settings.app_id}-orders-by-seller"
