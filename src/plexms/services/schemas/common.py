"""Base models and field types: bounded text without control characters, bounded ids and
numbers, aware datetimes that have a UTC time, and the pydantic type of a core vocabulary
(:class:`OneOf`)."""

from __future__ import annotations

import datetime as dt
import re
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
    "MultiLineText",
    "Name",
    "OneOf",
    "Out",
    "Page",
    "ShortText",
    "SingleLineText",
    "Text",
    "aware",
]

MAX_ID = 2**31 - 1

# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) can make a
# name read differently from what is stored ("Smith\u202egnp.exe"); line and paragraph
# separators break a line like a newline does.
_SINGLE_LINE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MULTI_LINE_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _refuse(value: str, bad: re.Pattern[str], what: str) -> str:
    found = bad.search(value)
    if found is not None:
        raise ValueError(f"{what} (found U+{ord(found.group()):04X})")
    return value


def _single_line(value: str) -> str:
    return _refuse(
        value,
        _SINGLE_LINE_BAD,
        "must be one line without control characters or bidirectional overrides",
    )


def _multi_line(value: str) -> str:
    return _refuse(
        value, _MULTI_LINE_BAD, "must not contain control characters (tab and line ends allowed)"
    )


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset (e.g. 2026-11-30T09:00:00-08:00)")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # year 1 at +23:59, year 9999 at -23:59: no UTC time exists
        raise ValueError("is outside the calendar once converted to UTC") from None


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
#: One line of text: no newline, NUL, C0/C1 control or bidirectional override (names, titles,
#: codes, single-line form fields). Add length limits with ``StringConstraints``.
SingleLineText = Annotated[str, AfterValidator(_single_line)]
#: Free text over several lines (notes): tab, CR and LF allowed, no other control character.
MultiLineText = Annotated[str, AfterValidator(_multi_line)]
Name = Annotated[
    SingleLineText, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
ShortText = Annotated[SingleLineText, StringConstraints(max_length=200)]
Text = Annotated[MultiLineText, StringConstraints(max_length=20_000)]
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
