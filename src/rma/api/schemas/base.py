"""Shared pieces of the schemas: constrained types and the request base class."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone (for example 2026-01-31T12:00:00Z)")
    return value


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


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[Any] = []


class ErrorPublic(BaseModel):
    error: ErrorBody
