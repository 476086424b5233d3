"""The moment the portal's unit tests start at (they move a kit `ManualClock` from it)."""

from datetime import UTC, datetime

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
