from datetime import UTC, datetime, timedelta

from listflow.ingest.domain.previews import (
    MatchCounts,
    PreviewTally,
    eta_seconds,
    preview_percent,
    rows_per_second,
)

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_valid_rows_are_those_neither_invalid_nor_duplicate() -> None:
    tally = PreviewTally(rows=10, invalid=2, duplicates=1, matches=MatchCounts(4, 2, 1))
    fields = tally.as_fields()
    assert fields["counts"] == {"rows": 10, "valid": 7, "invalid": 2, "duplicates": 1}
    assert fields["matches"] == {"no_match": 4, "one_match": 2, "several_matches": 1}
    assert sum(fields["matches"].values()) == fields["counts"]["valid"]


def test_match_counts_add_up_across_calls() -> None:
    assert MatchCounts(1, 2, 3) + MatchCounts(10, 20, 30) == MatchCounts(11, 22, 33)


def test_percent_follows_the_row_estimate_and_only_says_100_when_done() -> None:
    running = {"status": "running", "row_estimate": 1000, "rows_checked": 500}
    assert preview_percent(running) == 50.0
    # The estimate was low: never 100 until the preview has ended.
    assert preview_percent({**running, "rows_checked": 5000}) == 99.0
    assert preview_percent({**running, "row_estimate": None}) == 0.0
    assert preview_percent({**running, "status": "completed"}) == 100.0


def test_rate_uses_the_end_time_once_completed() -> None:
    done = {"started_at": START, "completed_at": START + timedelta(seconds=4), "rows_checked": 800}
    assert rows_per_second(done, START + timedelta(hours=1)) == 200.0
    assert rows_per_second({**done, "rows_checked": 0}, START) is None


def test_eta_from_the_rate_and_the_row_estimate_while_running() -> None:
    running = {
        "status": "running",
        "started_at": START,
        "completed_at": None,
        "rows_checked": 1000,
        "row_estimate": 5000,
    }
    assert eta_seconds(running, START + timedelta(seconds=10)) == 40.0
    assert eta_seconds({**running, "row_estimate": None}, START + timedelta(seconds=10)) is None
    assert eta_seconds({**running, "status": "completed"}, START + timedelta(seconds=10)) is None
