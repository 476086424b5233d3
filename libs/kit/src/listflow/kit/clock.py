"""The one clock type of every service: use cases take a `Clock`, production passes `utc_now`,
tests pass their own."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The production clock of every service."""
    return datetime.now(UTC)


def to_millis(value: datetime) -> datetime:
    """A time as BSON stores it (milliseconds), for comparing with one read back."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


@dataclass
class ManualClock:
    """A clock that stands still until told the time (`clock.now = ...`): for tests."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now
