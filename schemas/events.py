"""Pydantic models of the wire contract (docs/EVENTS.md).

Input events (``ListingEvent``, ``OrderEvent``) are validated strictly: a wrong
JSON type is an error rather than being coerced, timestamps must be RFC 3339
strings with an offset, and unknown fields are ignored for forward
compatibility. Validate raw bytes with :func:`parse_listing` /
:func:`parse_order` (pydantic's own JSON parser, which keeps strict mode
meaningful for timestamps); on failure they raise :class:`InvalidEventError` whose
message names every offending field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

SCHEMA_VERSION = 1

Identifier = Annotated[str, Field(min_length=1, max_length=128)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, upper case")]
Timestamp = Annotated[AwareDatetime, Field(description="RFC 3339 timestamp with an offset")]
Money = Annotated[float, Field(gt=0, allow_inf_nan=False)]

ListingEventType = Literal["listing_created", "listing_updated", "listing_removed"]
OrderEventType = Literal["order_placed", "order_refunded", "order_disputed"]
Condition = Literal["new", "used", "refurbished"]
RefundReason = Literal["counterfeit", "not_as_described", "damaged", "not_received", "other"]
Severity = Literal["medium", "high", "critical"]
AlertLevel = Literal["listing", "seller", "ring"]


class _InputModel(BaseModel):
    """Base of input models: strict types, unknown fields ignored, immutable."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Location(_InputModel):
    """A place: country, and optionally province and city."""

    country: CountryCode
    province: str | None = None
    city: str | None = None


class SellerProfile(_InputModel):
    """What the marketplace knows about a seller, sent with its first listing."""

    registered_at: Timestamp | None = None
    registered_region: Location | None = None
    authorized_brands: list[str] = Field(default_factory=list)
    phone_hash: str | None = None
    payout_account_hash: str | None = None
    device_hash: str | None = None
    return_address_hash: str | None = None


def _require(event: BaseModel, fields: tuple[str, ...], when: str) -> None:
    missing = [name for name in fields if getattr(event, name) is None]
    if missing:
        names = ", ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        raise ValueError(f"{names} {verb} required for {when} events")


class ListingEvent(_InputModel):
    """A listing created, updated or removed on the marketplace (topic ``listings``)."""

    schema_version: int = 1
    event_id: Identifier
    event_type: ListingEventType
    event_time: Timestamp
    listing_id: Identifier
    seller_id: Identifier
    title: Annotated[str, Field(max_length=1000)] | None = None
    description: Annotated[str, Field(max_length=20000)] | None = None
    brand: str | None = None
    category: str | None = None
    price: Money | None = None
    currency: CurrencyCode | None = None
    quantity: Annotated[int, Field(ge=0)] | None = None
    condition: Condition = "new"
    ship_from: Location | None = None
    image_text: str | None = None
    seller: SellerProfile | None = None

    @model_validator(mode="after")
    def _required_unless_removed(self) -> ListingEvent:
        if self.event_type != "listing_removed":
            _require(self, ("title", "category", "price", "currency"), self.event_type)
        return self


class OrderEvent(_InputModel):
    """An order placed, refunded or disputed (topic ``orders``)."""

    schema_version: int = 1
    event_id: Identifier
    event_type: OrderEventType
    event_time: Timestamp
    order_id: Identifier
    listing_id: Identifier
    seller_id: Identifier
    buyer_id: Identifier
    quantity: Annotated[int, Field(ge=1)] | None = None
    unit_price: Money | None = None
    currency: CurrencyCode | None = None
    ship_from: Location | None = None
    ship_to: Location | None = None
    tracking_hash: str | None = None
    reason: RefundReason | None = None

    @model_validator(mode="after")
    def _required_when_placed(self) -> OrderEvent:
        if self.event_type == "order_placed":
            _require(self, ("quantity", "unit_price", "currency"), "order_placed")
        return self


class Reason(BaseModel):
    """One rule's contribution to an alert."""

    model_config = ConfigDict(frozen=True)

    rule: str
    score: float = Field(ge=0, le=100)
    message: str = Field(description="One sentence that names the figures.")
    evidence: dict[str, Any] = Field(default_factory=dict)


class Alert(BaseModel):
    """What the monitor publishes to ``high-risk``."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    alert_id: Identifier
    alert_time: Timestamp
    event_time: Timestamp
    trigger_event_id: Identifier
    level: AlertLevel
    seller_id: Identifier
    listing_id: str | None = None
    ring_id: str | None = None
    member_seller_ids: list[str] = Field(default_factory=list)
    risk_score: float = Field(ge=0, le=100)
    severity: Severity
    reasons: list[Reason]
    rules_version: str


class DeadLetter(BaseModel):
    """An input message the monitor could not accept, with the reason (``dead-letter``)."""

    model_config = ConfigDict(frozen=True)

    source_topic: str
    partition: int
    offset: int
    key: str | None = Field(
        description="The original key: UTF-8 text, or base64 when key_encoding says so."
    )
    key_encoding: Literal["utf-8", "base64"] = "utf-8"
    error: str = Field(description="What was wrong, in plain words: field and problem.")
    payload: str = Field(description="The original bytes: UTF-8 text, or base64.")
    payload_encoding: Literal["utf-8", "base64"] = "utf-8"
    received_at: Timestamp


class InvalidEventError(ValueError):
    """Raised when input bytes are not a valid event; the message names each field."""


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic error into one line a person can act on.

    Args:
        exc: The error raised by model validation.

    Returns:
        ``"field: problem (got value); other.field: problem"``.
    """
    parts: list[str] = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"])
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if err["type"] == "json_invalid":
            parts.append(f"payload is not valid JSON: {err['ctx'].get('error', message)}")
            continue
        if err["type"] == "model_type" and not where:
            parts.append("payload is not a JSON object")
            continue
        shown = ""
        if err["type"] not in {"missing"} and "input" in err and where:
            value = repr(err["input"])
            shown = f" (got {value[:60]}{'...' if len(value) > 60 else ''})"
        parts.append(f"{where}: {message}{shown}" if where else message)
    return "; ".join(parts)


_M = TypeVar("_M", bound=BaseModel)


def _parse(model: type[_M], raw: bytes | str) -> _M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEventError(describe_validation_error(exc)) from exc


def parse_listing(raw: bytes | str) -> ListingEvent:
    """Validate raw JSON bytes as a ListingEvent.

    Raises:
        InvalidEventError: with a message naming each offending field.
    """
    return _parse(ListingEvent, raw)


def parse_order(raw: bytes | str) -> OrderEvent:
    """Validate raw JSON bytes as an OrderEvent.

    Raises:
        InvalidEventError: with a message naming each offending field.
    """
    return _parse(OrderEvent, raw)


def to_rfc3339(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC with a ``Z`` suffix.

    Raises:
        ValueError: if ``moment`` is naive.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the contract allows timestamps with an offset only")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
