"""The Upload aggregate: when it completes, what it announces, when it may be cancelled."""

from datetime import UTC, datetime
from typing import Any

import pytest
from listflow.ingest.domain.upload import Tally, Upload, UploadStatus
from listflow.kit.errors import Conflict
from listflow.schemas.events import ListReady, UploadCancelled, UploadCompleted

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
    assert done == {
        "status": "completed",
        "tally": {"imported": 1, "invalid": 1},
        "completed_at": NOW,
        "announced": False,
    }
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
    assert upload.cancel(NOW) == {"status": UploadStatus.CANCELLED.value, "cancelled_at": NOW}
    assert [type(e) for e in upload.events] == [UploadCancelled]


@pytest.mark.parametrize("status", ["completed", "cancelled", "failed"])
def test_a_finished_upload_cannot_be_cancelled(status: str) -> None:
    upload = Upload.from_document(doc(status=status))
    with pytest.raises(Conflict, match=f"already {status}"):
        upload.cancel(NOW)
    assert upload.events == []
