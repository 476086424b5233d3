"""Ingest's outcome, completion, cancel and reconcile use cases on the in-memory fakes."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from listflow.ingest.adapters.memory_repository import InMemoryUploadRepository
from listflow.ingest.adapters.reader import ReadLimits
from listflow.ingest.domain.upload import UploadStatus
from listflow.ingest.handlers import Ingest
from listflow.kit.errors import Conflict, NotFound
from listflow.kit.pii import Protector
from listflow.schemas.events import ListReady, RowOutcome, RowOutcomes, UploadCompleted
from listflow.schemas.values import RowStatus

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class RecordingEvents:
    uploads: list[tuple[str, Any, str | None]] = field(default_factory=list)
    ready: list[ListReady] = field(default_factory=list)

    async def upload_event(self, upload_id: str, event: Any, event_id: str | None = None) -> None:
        self.uploads.append((upload_id, event, event_id))

    async def contact_rows(self, tenant_id: str, upload_id: str, rows: Any) -> None:
        raise AssertionError("no rows are published here")

    async def lead_rows(self, tenant_id: str, upload_id: str, rows: Any) -> None:
        raise AssertionError("no rows are published here")

    async def list_ready(self, event: ListReady) -> None:
        self.ready.append(event)


@pytest.fixture
def parts(tmp_path: Path) -> tuple[Ingest, InMemoryUploadRepository, RecordingEvents]:
    store, events = InMemoryUploadRepository(), RecordingEvents()
    ingest = Ingest(
        repository=store,
        files=None,  # type: ignore[arg-type]  # not read by these use cases
        events=events,
        protector=Protector("unit-test-secret-0123456789"),
        spool_dir=tmp_path,
        limits=ReadLimits(),
        batch_rows=100,
        max_rows=1000,
        default_region="US",
        checks=None,  # type: ignore[arg-type]
        clock=lambda: NOW,
    )
    return ingest, store, events


async def parsed_upload(store: InMemoryUploadRepository, total: int = 3) -> None:
    await store.insert(
        {
            "_id": "u1",
            "tenant_id": "t1",
            "status": UploadStatus.IMPORTING.value,
            "target": {"kind": "group", "id": "g1", "name": "Spring"},
            "total_rows": total,
        }
    )


def batch(*rows: tuple[int, RowStatus]) -> RowOutcomes:
    return RowOutcomes(
        tenant_id="t1",
        upload_id="u1",
        outcomes=tuple(RowOutcome(row_number=n, status=s) for n, s in rows),
    )


async def test_an_upload_completes_once_every_row_has_an_outcome_and_is_announced_once(
    parts: tuple[Ingest, InMemoryUploadRepository, RecordingEvents],
) -> None:
    ingest, store, events = parts
    await parsed_upload(store)
    await ingest.record_outcomes(batch((1, RowStatus.IMPORTED), (2, RowStatus.UPDATED)))
    assert (await store.get("t1", "u1") or {})["status"] == UploadStatus.IMPORTING.value
    assert events.uploads == []

    await ingest.record_outcomes(batch((3, RowStatus.INVALID)))
    done = await store.get("t1", "u1") or {}
    assert done["status"] == UploadStatus.COMPLETED.value and done["announced"] is True
    ((_, completed, event_id),) = events.uploads
    assert isinstance(completed, UploadCompleted) and event_id == "u1:completed"
    assert (completed.counts.imported, completed.counts.updated) == (1, 1)
    assert completed.counts.errors == 1 and completed.counts.total == 3
    assert [r.list_id for r in events.ready] == ["g1"]

    # A redelivered batch counts nothing twice and announces nothing again.
    await ingest.record_outcomes(batch((3, RowStatus.INVALID)))
    assert len(events.uploads) == 1 and len(events.ready) == 1


async def test_reconcile_announces_a_completion_a_crash_left_unannounced(
    parts: tuple[Ingest, InMemoryUploadRepository, RecordingEvents],
) -> None:
    ingest, store, events = parts
    await parsed_upload(store, total=1)
    await store.record("u1", [{"row_number": 1, "status": "imported"}])
    final = {"status": "completed", "tally": {"imported": 1}, "completed_at": NOW}
    await store.transition("u1", [UploadStatus.IMPORTING], {**final, "announced": False})

    await ingest.reconcile()
    assert [e[2] for e in events.uploads] == ["u1:completed"]
    assert (await store.get("t1", "u1") or {})["announced"] is True


async def test_cancel_refuses_in_domain_terms(
    parts: tuple[Ingest, InMemoryUploadRepository, RecordingEvents],
) -> None:
    ingest, store, events = parts
    await parsed_upload(store)
    with pytest.raises(NotFound):
        await ingest.cancel(tenant_id="t2", upload_id="u1")
    cancelled = await ingest.cancel(tenant_id="t1", upload_id="u1")
    assert cancelled["status"] == UploadStatus.CANCELLED.value
    assert [e[2] for e in events.uploads] == ["u1:cancelled"]
    with pytest.raises(Conflict, match="already cancelled"):
        await ingest.cancel(tenant_id="t1", upload_id="u1")
