"""Shared pieces of the schemas: constrained types and the request base class."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone (for example 2026-01-31T12:00:00Z)")
    # Windows and deadlines are computed from these times: keep them far from the ends of
    # what datetime can hold.
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError("give a time between 1970 and 2999")
    return value


def storable(value: Any) -> Any:
    """Strings go to databases and JSON: no NUL character, no lone surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text cannot contain the NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from error
    elif isinstance(value, list | tuple):
        for element in value:
            storable(element)
    elif isinstance(value, dict):
        for key, element in value.items():
            storable(key)
            storable(element)
    return value


def held(obj: object, names: frozenset[str]) -> Any:
    """The values of ``names`` an entity holds, to validate a model from.

    A mapped entity keeps its loaded values in its ``__dict__``; reading each through its
    attribute (SQLAlchemy's descriptor, about 0.6 us apiece) cost twice the model's own
    validation for a return. An attribute not held there is read as usual.
    """
    values = obj.__dict__
    if names <= values.keys():
        return values  # the model takes its fields and leaves the rest
    return {name: getattr(obj, name) for name in names}


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(max_length=2000)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Quantity = Annotated[int, Field(ge=1, le=100_000)]
Count = Annotated[int, Field(ge=0, le=100_000)]
MinorUnits = Annotated[int, Field(ge=0, le=10**12)]


class In(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return storable(value)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[Any] = []


class ErrorPublic(BaseModel):
    error: ErrorBody
