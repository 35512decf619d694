"""The wire contract of listing-monitor as pydantic models (depends on pydantic only)."""

from schemas.events import (
    SCHEMA_VERSION,
    Alert,
    DeadLetter,
    InvalidEventError,
    ListingEvent,
    Location,
    OrderEvent,
    Reason,
    SellerProfile,
    describe_validation_error,
    parse_listing,
    parse_order,
    to_rfc3339,
)

__all__ = [
    "SCHEMA_VERSION",
    "Alert",
    "DeadLetter",
    "InvalidEventError",
    "ListingEvent",
    "Location",
    "OrderEvent",
    "Reason",
    "SellerProfile",
    "describe_validation_error",
    "parse_listing",
    "parse_order",
    "to_rfc3339",
]
