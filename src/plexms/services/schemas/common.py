"""Base models and field types: bounded text without NUL, bounded ids and numbers, and the
pydantic type of a core vocabulary (:class:`OneOf`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
)
from pydantic_core import CoreSchema, core_schema

from plexms.core.vocabulary import Vocabulary

__all__ = [
    "Id",
    "In",
    "Name",
    "OneOf",
    "Out",
    "Page",
    "ShortText",
    "Text",
    "aware",
]

MAX_ID = 2**31 - 1


def _no_control(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset (e.g. 2026-11-30T09:00:00-08:00)")
    return value.astimezone(dt.UTC)


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(SYMPTOMS)]``: one value of a core vocabulary, validated and
    described exactly as ``Literal[...]`` over its values would be (same JSON schema, same
    error), without writing the values again.

    ``contract=True`` takes the contract spellings (:attr:`Vocabulary.contract_values`);
    ``blank=True`` also accepts ``""`` (first, as "not stated").
    """

    vocabulary: Vocabulary
    contract: bool = False
    blank: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        """The accepted strings, in order."""
        words = self.vocabulary.contract_values if self.contract else self.vocabulary.values
        return ("", *words) if self.blank else words

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.literal_schema(list(self.values))


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_no_control),
]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_control)]
Text = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_no_control)]
aware = Annotated[dt.datetime, AfterValidator(_aware)]


class In(BaseModel):
    """Base of request bodies: unknown fields are refused, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=20_000)


class Out(BaseModel):
    """Base of responses (built from ORM rows)."""

    model_config = ConfigDict(from_attributes=True)


class Stamped(Out):
    id: int
    centre_id: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str
    deleted_at: dt.datetime | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total matching, and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int
