"""What a preview counts, and how far along it is: pure values over the preview document."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EXAMPLES = 20


@dataclass(frozen=True)
class MatchCounts:
    """How many rows find no, one or several stored contacts."""

    no_match: int = 0
    one_match: int = 0
    several_matches: int = 0

    def __add__(self, other: "MatchCounts") -> "MatchCounts":
        return MatchCounts(
            self.no_match + other.no_match,
            self.one_match + other.one_match,
            self.several_matches + other.several_matches,
        )


@dataclass
class PreviewTally:
    rows: int = 0
    invalid: int = 0
    duplicates: int = 0
    matches: MatchCounts = field(default_factory=MatchCounts)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_fields(self) -> dict[str, Any]:
        return {
            "rows_checked": self.rows,
            "counts": {
                "rows": self.rows,
                "valid": self.rows - self.invalid - self.duplicates,
                "invalid": self.invalid,
                "duplicates": self.duplicates,
            },
            "matches": {
                "no_match": self.matches.no_match,
                "one_match": self.matches.one_match,
                "several_matches": self.matches.several_matches,
            },
            "invalid_examples": self.examples,
        }


def preview_percent(preview: dict[str, Any]) -> float:
    if preview["status"] == "completed":
        return 100.0
    estimate = preview.get("row_estimate")
    checked: int = preview.get("rows_checked", 0)
    if not estimate:
        return 0.0
    return round(min(99.0, 100.0 * checked / max(estimate, checked, 1)), 1)


def rows_per_second(preview: dict[str, Any], now: datetime) -> float | None:
    end = preview.get("completed_at") or now
    elapsed = (end - preview["started_at"]).total_seconds()
    checked: int = preview.get("rows_checked", 0)
    return round(checked / elapsed, 1) if elapsed > 0 and checked else None


def eta_seconds(preview: dict[str, Any], now: datetime) -> float | None:
    """Seconds left at the current rate, while running and the row estimate is known."""
    rate = rows_per_second(preview, now)
    estimate = preview.get("row_estimate")
    if preview["status"] != "running" or not rate or not estimate:
        return None
    left = max(estimate - preview.get("rows_checked", 0), 0)
    return round(left / rate, 1)
