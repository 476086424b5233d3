"""A clock the portal's unit tests move by hand."""

from datetime import UTC, datetime

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now
