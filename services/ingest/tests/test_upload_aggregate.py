"""The Upload aggregate: every change of an upload (start, progress, lease, parse, failure,
completion, announcement, cancel) and the events it records."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from listflow.ingest.domain.upload import (
    LEASE_TERM,
    Lease,
    Tally,
    Upload,
    UploadChange,
    UploadOptions,
    UploadStatus,
)
from listflow.kit.errors import Conflict
from listflow.schemas.events import (
    ListReady,
    UploadCancelled,
    UploadCompleted,
    UploadParsed,
    UploadStarted,
)
from listflow.schemas.values import MatchKey, MatchPolicy, TargetKind, TargetRef

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def doc(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "u1",
        "tenant_id": "t1",
        "status": "importing",
        "target": {"kind": "group", "id": "g1", "name": "Spring"},
        "total_rows": 2,
        "tally": {},
        **fields,
    }


def test_it_completes_only_when_every_row_has_an_outcome() -> None:
    upload = Upload.from_document(doc())
    assert upload.completion(Tally({"imported": 1}), NOW) is None
    done = upload.completion(Tally({"imported": 1, "invalid": 1}), NOW)
    assert done == UploadChange(
        {
            "status": "completed",
            "tally": {"imported": 1, "invalid": 1},
            "completed_at": NOW,
            "announced": False,
        },
        frozenset({UploadStatus.IMPORTING}),
    )
    # Not before the file is read, nor once it has finished.
    assert Upload.from_document(doc(total_rows=None)).completion(Tally({"x": 5}), NOW) is None
    assert Upload.from_document(doc(status="cancelled")).completion(Tally({"x": 2}), NOW) is None


def test_a_tally_past_the_end_asks_for_the_ledger() -> None:
    assert Upload.from_document(doc(tally={"imported": 3})).counted_past_end()
    assert not Upload.from_document(doc(tally={"imported": 2})).counted_past_end()


def test_a_completed_unannounced_upload_records_its_two_events() -> None:
    upload = Upload.from_document(
        doc(status="completed", announced=False, completed_at=NOW, tally={"imported": 2})
    )
    assert upload.needs_announcing()
    upload.announce()
    completed, ready = upload.events
    assert isinstance(completed, UploadCompleted) and completed.counts.imported == 2
    assert isinstance(ready, ListReady) and ready.list_id == "g1" and ready.ready_at == NOW
    assert not Upload.from_document(doc(status="completed", announced=True)).needs_announcing()


@pytest.mark.parametrize("status", ["uploaded", "importing"])
def test_an_unfinished_upload_can_be_cancelled(status: str) -> None:
    upload = Upload.from_document(doc(status=status))
    change = upload.cancel(NOW)
    assert change.fields == {"status": UploadStatus.CANCELLED.value, "cancelled_at": NOW}
    assert change.from_status == {UploadStatus.UPLOADED, UploadStatus.IMPORTING}
    assert [type(e) for e in upload.events] == [UploadCancelled]


@pytest.mark.parametrize("status", ["completed", "cancelled", "failed"])
def test_a_finished_upload_cannot_be_cancelled(status: str) -> None:
    upload = Upload.from_document(doc(status=status))
    with pytest.raises(Conflict, match=f"already {status}"):
        upload.cancel(NOW)
    assert upload.events == []


def started(upload: Upload) -> UploadChange:
    return upload.start(
        options=UploadOptions.model_validate({"target": {"name": "Spring"}}),
        target=TargetRef(kind=TargetKind.GROUP, id="g1", name="Spring"),
        match=MatchPolicy(key=MatchKey.EMAIL),
        mapping={0: "email"},
        date_orders=[],
        now=NOW,
    )


def test_only_an_upload_not_yet_started_starts_and_it_records_upload_started() -> None:
    upload = Upload.from_document(doc(status="uploaded", total_rows=None))
    change = started(upload)
    assert change.from_status == {UploadStatus.UPLOADED}
    assert change.fields["status"] == "importing" and change.fields["mapping"] == {"0": "email"}
    assert change.fields["options"] == {"target": {"name": "Spring"}}
    assert "lead_list" not in change.fields
    (event,) = upload.events
    assert isinstance(event, UploadStarted) and event.match.key is MatchKey.EMAIL
    importing = Upload.from_document(doc())
    with pytest.raises(Conflict, match="is importing"):
        started(importing)
    assert importing.events == []


def test_a_lead_list_target_is_kept_with_the_start() -> None:
    listed = doc(status="uploaded", lead_list={"id": "ll1", "name": "Calls", "fields": []})
    change = started(Upload.from_document(listed))
    assert change.fields["lead_list"] == {"id": "ll1", "name": "Calls", "fields": []}


def test_the_importer_writes_its_progress_with_its_lease_and_records_the_parse() -> None:
    upload = Upload.from_document(doc(total_rows=None))
    lease = Lease.taken("p1", NOW)
    assert lease.until == NOW + LEASE_TERM
    assert upload.read_progress(5, lease) == UploadChange(
        {"rows_read": 5, "lease_owner": "p1", "lease_until": lease.until}
    )
    assert upload.read_progress(7) == UploadChange({"rows_read": 7})
    read = upload.file_read(rows=9, published=7, invalid=1, duplicates=1, now=NOW)
    assert read == UploadChange({"rows_read": 9, "total_rows": 9, "parsed_at": NOW})
    (event,) = upload.events
    assert isinstance(event, UploadParsed) and (event.total_rows, event.published_rows) == (9, 7)


def test_a_failure_and_the_announcement_are_changes_of_their_own() -> None:
    upload = Upload.from_document(doc())
    assert upload.fail("bad file") == UploadChange(
        {"status": "failed", "failure": "bad file"}, frozenset({UploadStatus.IMPORTING})
    )
    assert upload.announced_change() == UploadChange({"announced": True})


def test_a_lease_lets_its_owner_renew_and_others_in_once_it_runs_out() -> None:
    lease = Lease("p1", NOW)
    assert lease.lets("p1", NOW + timedelta(hours=1))
    assert not lease.lets("p2", NOW)
    assert lease.lets("p2", NOW + timedelta(seconds=1))


def test_an_import_is_left_unread_when_nobody_holds_its_lease() -> None:
    reading = doc(total_rows=None)
    assert Upload.from_document(reading).left_unread(NOW)
    held = {**reading, "lease_owner": "p1", "lease_until": NOW}
    assert not Upload.from_document(held).left_unread(NOW)
    assert Upload.from_document(held).left_unread(NOW + timedelta(seconds=1))
    # Read to the end, or no longer importing: nothing to resume.
    assert not Upload.from_document(doc()).left_unread(NOW)
    assert not Upload.from_document({**reading, "status": "cancelled"}).left_unread(NOW)


def test_what_the_use_cases_read_comes_from_the_document() -> None:
    upload = Upload.from_document(
        doc(
            options={
                "target": {"name": "Spring"},
                "mapping": [{"column": "Mail", "field": "email"}],
            },
            headers=["Mail"],
            format="csv",
            detected={
                "encoding": "utf-8",
                "delimiter": ";",
                "quote": '"',
                "header": True,
                "row_estimate": 40,
                "date_columns": [{"index": 0, "column": "Mail"}],
            },
        )
    )
    assert upload.options.mapping == {"Mail": "email"} and upload.headers == ["Mail"]
    assert upload.layout is not None and upload.layout.dialect.delimiter == ";"
    assert upload.row_estimate == 40 and upload.date_evidence == [{"index": 0, "column": "Mail"}]
    assert Upload.from_document(doc()).layout is None
