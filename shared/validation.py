"""Input rules shared by the event contract and the HTTP APIs, written once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

from shared.errors import InvalidInput

# An e-mail address as the office accepts it: something, "@", a domain with a dot; no spaces.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

FIRST_YEAR, LAST_YEAR = 2000, 2100
"""The years a date given to SIVICON may fall in (its calendar's years, too). Beyond them a date
is a typing error; and year 9999 or year 1 would overflow the moment it is moved to another time
zone or a day is added to it, a server error instead of an answer."""


class DateOutOfRange(ValueError):
    """A date or moment outside :data:`FIRST_YEAR` to :data:`LAST_YEAR`."""

    def __init__(self) -> None:
        super().__init__(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")


Day = TypeVar("Day", bound=date)


def check_date(value: Day) -> Day:
    """``value`` if its year is one SIVICON accepts; a moment is checked in UTC as well, as
    ``9999-12-31T23:00-12:00`` lies in year 10000 there."""
    years = [value.year]
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            years.append(value.astimezone(UTC).year)
        except OverflowError:
            raise DateOutOfRange from None
    if not all(FIRST_YEAR <= year <= LAST_YEAR for year in years):
        raise DateOutOfRange
    return value


def bounded(value: Day, field: str) -> Day:
    """``value``, for an entry point that parses ``field`` itself: a date outside the years is
    :class:`~shared.errors.InvalidInput` (422) naming the field, in English and Indonesian."""
    try:
        return check_date(value)
    except DateOutOfRange as exc:
        raise InvalidInput(
            f"{field}: {exc}",
            f"{field}: tanggal harus dalam tahun {FIRST_YEAR} sampai {LAST_YEAR}",
            details=[{"field": field, "message": str(exc)}],
        ) from None


def _bounded(value: Day) -> Day:
    try:
        return check_date(value)
    except DateOutOfRange as exc:
        raise PydanticCustomError("date_out_of_range", str(exc)) from None


BoundedDate = Annotated[date, AfterValidator(_bounded)]
BoundedAwareDatetime = Annotated[AwareDatetime, AfterValidator(_bounded)]
