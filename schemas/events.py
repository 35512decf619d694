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
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
"""Input schema versions this monitor reads; events of any other version are dead-lettered."""

# Bounds of the contract (docs/EVENTS.md, "Bounds"): values outside them are
# errors in the producer, and some would break the monitor (a 400-digit
# quantity cannot be stored, a date in year 9999 cannot be expired).
MAX_IDENTIFIER_CHARS = 128
MAX_TITLE_CHARS = 1000
MAX_LONG_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 200
MAX_HASH_CHARS = 128
MAX_AUTHORIZED_BRANDS = 500
MAX_MONEY = 1_000_000_000.0
MAX_QUANTITY = 1_000_000_000


def _representable_in_utc(moment: datetime) -> datetime:
    """Reject a timestamp that has no UTC equivalent (``0001-01-01T00:00:00+14:00``)."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "Timestamp is outside the range of dates that can be written in UTC"
        ) from None
    return moment


def _supported_version(version: int) -> int:
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(str(v) for v in sorted(SUPPORTED_SCHEMA_VERSIONS))
        raise ValueError(
            f"schema version {version} is not supported (this monitor reads version {supported})"
        )
    return version


Identifier = Annotated[str, Field(min_length=1, max_length=MAX_IDENTIFIER_CHARS)]
Name = Annotated[str, Field(max_length=MAX_NAME_CHARS)]
Hash = Annotated[str, Field(max_length=MAX_HASH_CHARS)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, upper case")]
Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_representable_in_utc),
    Field(description="RFC 3339 timestamp with an offset"),
]
Money = Annotated[float, Field(gt=0, le=MAX_MONEY, allow_inf_nan=False)]
SchemaVersion = Annotated[
    int,
    AfterValidator(_supported_version),
    Field(description="Version of the event's schema; this monitor reads version 1."),
]

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
    province: Name | None = None
    city: Name | None = None


class SellerProfile(_InputModel):
    """What the marketplace knows about a seller, sent with its first listing."""

    registered_at: Timestamp | None = None
    registered_region: Location | None = None
    authorized_brands: list[Name] = Field(default_factory=list, max_length=MAX_AUTHORIZED_BRANDS)
    phone_hash: Hash | None = None
    payout_account_hash: Hash | None = None
    device_hash: Hash | None = None
    return_address_hash: Hash | None = None


def _require(event: BaseModel, fields: tuple[str, ...], when: str) -> None:
    missing = [name for name in fields if getattr(event, name) is None]
    if missing:
        names = ", ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        raise ValueError(f"{names} {verb} required for {when} events")


class ListingEvent(_InputModel):
    """A listing created, updated or removed on the marketplace (topic ``listings``)."""

    schema_version: SchemaVersion = 1
    event_id: Identifier
    event_type: ListingEventType
    event_time: Timestamp
    listing_id: Identifier
    seller_id: Identifier
    title: Annotated[str, Field(max_length=MAX_TITLE_CHARS)] | None = None
    description: Annotated[str, Field(max_length=MAX_LONG_TEXT_CHARS)] | None = None
    brand: Name | None = None
    category: Name | None = None
    price: Money | None = None
    currency: CurrencyCode | None = None
    quantity: Annotated[int, Field(ge=0, le=MAX_QUANTITY)] | None = None
    condition: Condition = "new"
    ship_from: Location | None = None
    image_text: Annotated[str, Field(max_length=MAX_LONG_TEXT_CHARS)] | None = None
    seller: SellerProfile | None = None

    @model_validator(mode="after")
    def _required_unless_removed(self) -> ListingEvent:
        if self.event_type != "listing_removed":
            _require(self, ("title", "category", "price", "currency"), self.event_type)
        return self


class OrderEvent(_InputModel):
    """An order placed, refunded or disputed (topic ``orders``)."""

    schema_version: SchemaVersion = 1
    event_id: Identifier
    event_type: OrderEventType
    event_time: Timestamp
    order_id: Identifier
    listing_id: Identifier
    seller_id: Identifier
    buyer_id: Identifier
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)] | None = None
    unit_price: Money | None = None
    currency: CurrencyCode | None = None
    ship_from: Location | None = None
    ship_to: Location | None = None
    tracking_hash: Hash | None = None
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


DeadLetterKind = Literal["invalid", "unsupported_version", "too_large", "processing_error"]


class DeadLetter(BaseModel):
    """An input message the monitor could not accept, with the reason (``dead-letter``).

    The payload and key are copied up to a configured size; ``payload_size``
    and ``payload_sha256`` describe the whole original, which stays in its
    source topic at ``partition`` / ``offset`` while the topic retains it.
    """

    model_config = ConfigDict(frozen=True)

    source_topic: str
    partition: int
    offset: int
    key: str | None = Field(
        description="The original key (up to the size cap): UTF-8 text, or base64 "
        "when key_encoding says so."
    )
    key_encoding: Literal["utf-8", "base64"] = "utf-8"
    key_size: int = Field(default=0, ge=0, description="Bytes in the original key.")
    key_truncated: bool = Field(
        default=False, description="True when `key` holds only the first bytes of the key."
    )
    error: str = Field(description="What was wrong, in plain words: field and problem.")
    error_kind: DeadLetterKind = Field(
        default="invalid",
        description="`invalid` (not an event of the contract), `unsupported_version` (another "
        "schema version), `too_large` (above the event size limit), `processing_error` (the "
        "monitor failed on a valid event: a bug to report).",
    )
    payload: str = Field(
        description="The original bytes (up to the size cap): UTF-8 text, or base64."
    )
    payload_encoding: Literal["utf-8", "base64"] = "utf-8"
    payload_size: int = Field(default=0, ge=0, description="Bytes in the original payload.")
    payload_sha256: str = Field(
        default="", description="SHA-256 (hex) of the whole original payload."
    )
    payload_truncated: bool = Field(
        default=False,
        description="True when `payload` holds only the first bytes of the original.",
    )
    received_at: Timestamp


class InvalidEventError(ValueError):
    """Raised when input bytes are not a valid event; the message names each field.

    ``unsupported_version`` tells an event of another schema version (which a
    newer monitor may read) from a broken one.
    """

    def __init__(self, message: str, *, unsupported_version: bool = False) -> None:
        super().__init__(message)
        self.unsupported_version = unsupported_version


# An error message names at most this many problems, each value shown in at
# most this many characters: a hostile event may hold thousands of bad values.
MAX_PROBLEMS_SHOWN = 10
MAX_VALUE_SHOWN = 60


def _shown(value: object) -> str:
    """A short ``repr`` of an offending value, never built from more than it shows."""
    if isinstance(value, str | bytes):
        text = repr(value[: MAX_VALUE_SHOWN + 1])
    elif isinstance(value, list | tuple | dict):
        text = f"{type(value).__name__} of {len(value)} items"
    else:
        text = repr(value)
    return text[:MAX_VALUE_SHOWN] + ("..." if len(text) > MAX_VALUE_SHOWN else "")


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic error into one line a person can act on.

    Args:
        exc: The error raised by model validation.

    Returns:
        ``"field: problem (got value); other.field: problem"``, naming at most
        ``MAX_PROBLEMS_SHOWN`` problems and how many more there were.
    """
    parts: list[str] = []
    errors = exc.errors(include_url=False)
    for err in errors[:MAX_PROBLEMS_SHOWN]:
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
            shown = f" (got {_shown(err['input'])})"
        parts.append(f"{where}: {message}{shown}" if where else message)
    if len(errors) > MAX_PROBLEMS_SHOWN:
        parts.append(f"and {len(errors) - MAX_PROBLEMS_SHOWN} more problems")
    return "; ".join(parts)


def _is_unsupported_version(exc: ValidationError) -> bool:
    return any(
        err["loc"] == ("schema_version",) and err["type"] == "value_error"
        for err in exc.errors(include_url=False, include_input=False)
    )


_M = TypeVar("_M", bound=BaseModel)


def _parse(model: type[_M], raw: bytes | str) -> _M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEventError(
            describe_validation_error(exc), unsupported_version=_is_unsupported_version(exc)
        ) from exc


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
