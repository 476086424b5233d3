"""Retry rules: what a dial outcome means for a lead's next attempt."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from listflow.schemas.leads import DialResult

# Outcomes after which the lead is not called again in this campaign.
FINAL = frozenset({DialResult.ANSWERED, DialResult.DNC})
DEFAULT_GAP_MINUTES: dict[str, int] = {
    DialResult.NO_ANSWER.value: 60,
    DialResult.BUSY.value: 10,
    DialResult.VOICEMAIL.value: 240,
    DialResult.FAILED.value: 30,
    DialResult.CALLBACK.value: 0,
}


# What the API accepts (and a stored campaign must hold to be served): gaps up to 30 days.
MAX_ATTEMPTS = 100
MAX_GAP_MINUTES = 43_200


def rules_in_range(max_attempts: int, gaps: dict[str, int], default_gap: int) -> bool:
    return 1 <= max_attempts <= MAX_ATTEMPTS and all(
        0 <= v <= MAX_GAP_MINUTES for v in (*gaps.values(), default_gap)
    )


@dataclass(frozen=True, slots=True)
class RetryRules:
    max_attempts: int = 3
    # Minimum minutes between attempts, per outcome; outcomes not named use `default_gap`.
    gap_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_GAP_MINUTES))
    default_gap: int = 60


@dataclass(frozen=True, slots=True)
class Next:
    """Call again at `at` (not before), or never (`at` is None) for `reason`."""

    at: datetime | None
    reason: str


def next_attempt(
    rules: RetryRules,
    result: DialResult,
    attempts_made: int,
    dialed_at: datetime,
    callback_at: datetime | None = None,
) -> Next:
    """When to call again after the `attempts_made`-th attempt ended with `result`."""
    if result in FINAL:
        return Next(None, "completed" if result is DialResult.ANSWERED else "do not call")
    if result is DialResult.CALLBACK and callback_at is not None:
        # A callback the lead asked for is honoured even past the attempt limit.
        return Next(max(callback_at, dialed_at), "callback")
    if attempts_made >= rules.max_attempts:
        return Next(None, "maximum attempts reached")
    gap = rules.gap_minutes.get(result.value, rules.default_gap)
    return Next(dialed_at + timedelta(minutes=gap), result.value)
