"""Calling windows: when a lead may be called, in the lead's own local time."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class CallingHours:
    """Local wall-clock hours on the given weekdays; `end` is exclusive."""

    start: time = time(8, 0)
    end: time = time(21, 0)
    days: tuple[str, ...] = DAYS


@dataclass(frozen=True, slots=True)
class Window:
    """Whether a lead may be called now; if not, when it may next be; if so, until when."""

    open: bool
    opens_at: datetime
    closes_at: datetime


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _local(day: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The instant of wall-clock `at` on `day`'s date in `tz`.

    fold=0 (PEP 495) resolves a time skipped by a spring-forward jump with the offset from
    before the jump, i.e. later by the gap (02:30 becomes 03:30), never earlier than the law
    allows; a repeated autumn time resolves to its first occurrence.
    """
    return datetime.combine(day.date(), at).replace(tzinfo=tz, fold=0)


def window(now: datetime, hours: CallingHours, time_zone: str | None) -> Window:
    """The calling window for a lead in `time_zone` at instant `now` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = zone(time_zone)
    local_now = now.astimezone(tz)
    if not hours.days or hours.start >= hours.end:
        # No calling hours at all: never open (a week ahead is re-checked then).
        far = now + timedelta(days=7)
        return Window(False, far, far)
    for offset in range(8):
        day = local_now + timedelta(days=offset)
        if DAYS[day.weekday()] not in hours.days:
            continue
        opens = _local(day, hours.start, tz)
        closes = _local(day, hours.end, tz)
        if now < opens:
            return Window(False, opens.astimezone(UTC), closes.astimezone(UTC))
        if now < closes:
            return Window(True, now.astimezone(UTC), closes.astimezone(UTC))
    raise AssertionError("a weekday with calling hours is always within eight days")
