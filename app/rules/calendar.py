"""Local dates, business days and send times for one time zone and holiday region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

SATURDAY_SUNDAY = frozenset({5, 6})


@lru_cache(maxsize=256)
def _holidays_of_year(country: str, subdivision: str | None, year: int) -> MappingProxyType[date, str]:
    region = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return MappingProxyType(dict(region.items()))


@lru_cache(maxsize=64)
def _weekend_of(country: str) -> frozenset[int]:
    return frozenset(holidays.country_holidays(country).weekend)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class Calendar:
    timezone: str
    country: str | None
    subdivision: str | None

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def at_hour(self, day: date, hour: int) -> datetime:
        """`hour`:00 local on `day`; a time skipped by a clock change becomes the
        first real instant after it."""
        wall = datetime.combine(day, time(hour), tzinfo=self.zone)
        return wall.astimezone(UTC).astimezone(self.zone)

    def start_of(self, day: date) -> datetime:
        return self.at_hour(day, 0)

    def closed_reason(self, day: date) -> str | None:
        """Why `day` is not a business day (weekend or holiday name), else None."""
        weekend = _weekend_of(self.country) if self.country else SATURDAY_SUNDAY
        if day.weekday() in weekend:
            return f"{day.strftime('%A')} is a weekend day"
        if self.country:
            name = _holidays_of_year(self.country, self.subdivision, day.year).get(day)
            if name is not None:
                return f"{day.strftime('%A')} {day.isoformat()} is a public holiday ({name})"
        return None

    def next_business_day(self, day: date) -> tuple[date, list[str]]:
        """The first business day on or after `day`, and why each skipped day was closed."""
        skipped: list[str] = []
        # Ends: every supported region has at most a handful of closed days in a row.
        while (reason := self.closed_reason(day)) is not None:
            skipped.append(reason)
            day += timedelta(days=1)
        return day, skipped
