"""Ingest's use cases, wired by `bootstrap.use_cases` on in-memory fakes of every port (and
the real file reader and row checks, in a thread)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from listflow.ingest.adapters import reader
from listflow.ingest.adapters.checker_pool import CheckerPool
from listflow.ingest.adapters.memory_repository import InMemoryUploadRepository
from listflow.ingest.adapters.memory_stores import (
    InMemoryFileStore,
    InMemoryPreviewStore,
    InMemorySavedMappings,
    KnownContacts,
)
from listflow.ingest.bootstrap import UseCases, use_cases
from listflow.ingest.domain.file_rows import ReadLimits
from listflow.ingest.domain.upload import UploadChange, UploadOptions, UploadStatus
from listflow.ingest.handlers.files import UploadFiles
from listflow.kit.clock import ManualClock
from listflow.kit.errors import Conflict, Invalid, NotFound
from listflow.kit.pii import Protector
from listflow.schemas.events import (
    ListReady,
    RowOutcome,
    RowOutcomes,
    UploadAccepted,
    UploadCompleted,
    UploadParsed,
    UploadStarted,
)
from listflow.schemas.values import RowStatus

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SECRET = "unit-test-secret-0123456789"
CSV = "first_name,email,notes\nAda,ada@example.com,x\nBob,not-an-email,y\nCy,cy@example.com,z\n"


@dataclass
class RecordingEvents:
    uploads: list[tuple[str, Any, str | None]] = field(default_factory=list)
    rows: list[tuple[str, str, list[str]]] = field(default_factory=list)
    ready: list[ListReady] = field(default_factory=list)

    async def upload_event(self, upload_id: str, event: Any, event_id: str | None = None) -> None:
        self.uploads.append((upload_id, event, event_id))

    async def contact_rows(self, tenant_id: str, upload_id: str, rows: Any) -> None:
        self.rows.append((tenant_id, upload_id, [r.match_value for r in rows]))

    async def lead_rows(self, tenant_id: str, upload_id: str, rows: Any) -> None:
        raise AssertionError("no lead list is a target here")

    async def list_ready(self, event: ListReady) -> None:
        self.ready.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for _, e, _ in self.uploads if isinstance(e, kind)]


@dataclass
class Parts:
    wired: UseCases
    store: InMemoryUploadRepository
    events: RecordingEvents
    files: InMemoryFileStore
    previews: InMemoryPreviewStore
    contacts: KnownContacts
    clock: ManualClock
    spool: Path

    def spooled(self, text: str = CSV) -> Path:
        path = self.spool / "incoming.csv"
        path.write_text(text)
        return path

    async def accept(self, options: dict[str, Any], text: str = CSV) -> dict[str, Any]:
        return await self.wired.accept.accept(
            tenant_id="t1",
            path=self.spooled(text),
            file_name="spring.csv",
            options=UploadOptions.model_validate(options),
            uploaded_by="ops@example.com",
            api_key="key-1",
        )

    async def parsed(self, upload_id: str) -> dict[str, Any]:
        """The upload once its background import has read the whole file."""
        while (doc := await self.store.get("t1", upload_id) or {}).get("total_rows") is None:
            assert doc.get("status") == UploadStatus.IMPORTING.value, doc.get("failure")
            await asyncio.sleep(0.01)
        return doc


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[Parts]:
    store, events, files = InMemoryUploadRepository(), RecordingEvents(), InMemoryFileStore()
    previews, contacts, clock = (
        InMemoryPreviewStore(),
        KnownContacts({"cy@example.com"}),
        ManualClock(NOW),
    )
    saved = InMemorySavedMappings(
        {
            "_id": "m1",
            "tenant_id": "t1",
            "name": "Spring export",
            "columns": [
                {"column": "E-Mail Address", "field": "email"},
                {"column": "Given", "field": "first_name"},
                {"column": "Not in the file", "field": "phone"},
            ],
        }
    )
    wired = use_cases(
        repository=store,
        events=events,
        files=UploadFiles(
            files=files,
            reader=reader,
            checks=CheckerPool(0, SECRET),
            spool_dir=tmp_path,
            limits=ReadLimits(),
            batch_rows=2,
            max_rows=1000,
        ),
        mappings=saved,
        previews=previews,
        contacts=contacts,
        lead_lists=None,
        default_region="US",
        protector=Protector(SECRET),
        clock=clock,
    )
    yield Parts(wired, store, events, files, previews, contacts, clock, tmp_path)
    await wired.imports.stop_all()
    await wired.previews.stop_all()


def outcomes(upload_id: str, *rows: tuple[int, RowStatus]) -> RowOutcomes:
    return RowOutcomes(
        tenant_id="t1",
        upload_id=upload_id,
        outcomes=tuple(RowOutcome(row_number=n, status=s) for n, s in rows),
    )


async def test_an_accepted_file_with_a_target_is_imported_and_completes_on_its_outcomes(
    parts: Parts,
) -> None:
    doc = await parts.accept({"target": {"name": "Spring"}})
    assert doc["status"] == UploadStatus.IMPORTING.value
    assert doc["target"]["name"] == "Spring" and doc["match"]["key"] == "email"
    assert parts.files.files[doc["_id"]][0] == CSV.encode()

    parsed = await parts.parsed(doc["_id"])
    assert parsed["total_rows"] == 3 and parsed["tally"] == {"invalid": 1}
    # Valid rows go out in file order; the invalid one is recorded, not published.
    published = [v for _, _, values in parts.events.rows for v in values]
    assert published == ["ada@example.com", "cy@example.com"]
    (parsed_event,) = parts.events.of(UploadParsed)
    assert (parsed_event.published_rows, parsed_event.invalid_rows) == (2, 1)
    assert len(parts.events.of(UploadAccepted)) == 1 and len(parts.events.of(UploadStarted)) == 1

    await parts.wired.outcomes.record(
        outcomes(doc["_id"], (1, RowStatus.IMPORTED), (3, RowStatus.UPDATED))
    )
    done = await parts.store.get("t1", doc["_id"]) or {}
    assert done["status"] == UploadStatus.COMPLETED.value and done["announced"] is True
    (completed,) = parts.events.of(UploadCompleted)
    assert (completed.counts.imported, completed.counts.updated, completed.counts.errors) == (
        1,
        1,
        1,
    )


async def test_a_file_without_a_target_waits_and_a_second_start_conflicts(parts: Parts) -> None:
    doc = await parts.accept({})
    assert doc["status"] == UploadStatus.UPLOADED.value and parts.events.of(UploadStarted) == []
    with pytest.raises(Invalid, match="needs a target"):
        await parts.wired.imports.start(tenant_id="t1", upload_id=doc["_id"], options=None)
    options = UploadOptions.model_validate({"target": {"name": "Later"}})
    with pytest.raises(NotFound):
        await parts.wired.imports.start(tenant_id="t2", upload_id=doc["_id"], options=options)
    started = await parts.wired.imports.start(tenant_id="t1", upload_id=doc["_id"], options=options)
    assert started["target"]["name"] == "Later"
    with pytest.raises(Conflict, match="is importing") as refused:
        await parts.wired.imports.start(tenant_id="t1", upload_id=doc["_id"], options=options)
    assert refused.value.title == "Already started"
    assert (await parts.parsed(doc["_id"]))["total_rows"] == 3


async def test_a_file_that_cannot_import_is_refused_before_anything_is_stored(
    parts: Parts,
) -> None:
    with pytest.raises(Invalid, match="maps to a contact field"):
        await parts.accept({"target": {"name": "Spring"}}, text="colour,size\nred,L\n")
    # No upload and no event (the file itself is stored before the plan is checked).
    assert parts.events.uploads == []
    assert (
        await parts.store.history(
            "t1",
            limit=10,
            cursor=None,
            status=None,
            target=None,
            created_from=None,
            created_to=None,
        )
    )[0] == []


async def test_a_saved_mapping_is_applied_at_the_start_to_the_columns_the_file_has(
    parts: Parts,
) -> None:
    text = "Given,E-Mail Address\nAda,ada@example.com\n"
    options = {"target": {"name": "Spring"}, "saved_mapping": "spring  EXPORT"}
    doc = await parts.accept(options, text=text)
    assert doc["status"] == UploadStatus.IMPORTING.value
    assert doc["mapping"] == {"0": "first_name", "1": "email"}
    # The upload as stored first was not started: the mapping needed the file's columns.
    assert doc["options"]["start"] is False
    assert (await parts.parsed(doc["_id"]))["total_rows"] == 1


async def test_an_unknown_saved_mapping_is_refused_in_domain_terms(parts: Parts) -> None:
    doc = await parts.accept({})
    options = UploadOptions.model_validate(
        {"target": {"name": "Spring"}, "saved_mapping": "no such mapping"}
    )
    with pytest.raises(Invalid, match="No saved mapping is named 'no such mapping'"):
        await parts.wired.imports.start(tenant_id="t1", upload_id=doc["_id"], options=options)
    assert (await parts.store.get("t1", doc["_id"]) or {})["status"] == "uploaded"


async def test_cancel_stops_an_upload_once(parts: Parts) -> None:
    doc = await parts.accept({})
    with pytest.raises(NotFound):
        await parts.wired.imports.cancel(tenant_id="t2", upload_id=doc["_id"])
    cancelled = await parts.wired.imports.cancel(tenant_id="t1", upload_id=doc["_id"])
    assert cancelled["status"] == UploadStatus.CANCELLED.value
    with pytest.raises(Conflict, match="already cancelled"):
        await parts.wired.imports.cancel(tenant_id="t1", upload_id=doc["_id"])
    assert [e[2] for e in parts.events.uploads][-1] == f"{doc['_id']}:cancelled"


async def test_of_two_racing_starts_one_starts_the_upload_and_the_other_conflicts(
    parts: Parts,
) -> None:
    doc = await parts.accept({})
    options = UploadOptions.model_validate({"target": {"name": "Spring"}})
    results = await asyncio.gather(
        *(
            parts.wired.imports.start(tenant_id="t1", upload_id=doc["_id"], options=options)
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert len(parts.events.of(UploadStarted)) == 1
    assert (await parts.parsed(doc["_id"]))["total_rows"] == 3


async def test_an_import_whose_file_cannot_be_read_fails_with_a_reason_and_never_completes(
    parts: Parts,
) -> None:
    doc = await parts.accept({})
    del parts.files.files[doc["_id"]]
    options = UploadOptions.model_validate({"target": {"name": "Spring"}})
    await parts.wired.imports.start(tenant_id="t1", upload_id=doc["_id"], options=options)
    while True:
        got = await parts.store.get("t1", doc["_id"]) or {}
        if got["status"] != UploadStatus.IMPORTING.value:
            break
        await asyncio.sleep(0.01)
    assert got["status"] == UploadStatus.FAILED.value
    assert got["failure"] == "the import stopped on an internal error; it can be retried"
    assert parts.events.of(UploadParsed) == [] and parts.events.of(UploadCompleted) == []


async def test_reconcile_resumes_an_import_whose_lease_ran_out_and_leaves_a_leased_one(
    parts: Parts,
) -> None:
    doc = await parts.accept({})
    # As a crashed process leaves it: importing, leased to that process, nothing read.
    crashed = {
        "status": UploadStatus.IMPORTING.value,
        "options": {"target": {"name": "Spring"}},
        "lease_owner": "dead-process",
        "lease_until": NOW + timedelta(seconds=30),
    }
    await parts.store.apply(doc["_id"], UploadChange(crashed))
    await parts.wired.reconciler.reconcile()
    assert not parts.wired.imports.running(doc["_id"])
    assert (await parts.store.get("t1", doc["_id"]) or {})["lease_owner"] == "dead-process"

    parts.clock.now = NOW + timedelta(minutes=1)
    await parts.wired.reconciler.reconcile()
    parsed = await parts.parsed(doc["_id"])
    assert parsed["total_rows"] == 3 and parsed["lease_owner"] == parts.wired.imports.instance_id


async def test_reconcile_announces_a_completion_a_crash_left_unannounced(parts: Parts) -> None:
    await parts.store.insert(
        {
            "_id": "u1",
            "tenant_id": "t1",
            "status": UploadStatus.IMPORTING.value,
            "target": {"kind": "group", "id": "g1", "name": "Spring"},
            "total_rows": 1,
        }
    )
    await parts.store.record("u1", [{"row_number": 1, "status": "imported"}])
    final = {"status": "completed", "tally": {"imported": 1}, "completed_at": NOW}
    await parts.store.apply(
        "u1", UploadChange({**final, "announced": False}, frozenset({UploadStatus.IMPORTING}))
    )

    await parts.wired.reconciler.reconcile()
    assert [e[2] for e in parts.events.uploads] == ["u1:completed"]
    assert [r.list_id for r in parts.events.ready] == ["g1"]
    assert (await parts.store.get("t1", "u1") or {})["announced"] is True
    await parts.wired.reconciler.reconcile()
    assert len(parts.events.uploads) == 1


async def test_a_redelivered_outcome_batch_counts_nothing_twice(parts: Parts) -> None:
    await parts.store.insert(
        {"_id": "u1", "tenant_id": "t1", "status": "importing", "target": {}, "total_rows": 2}
    )
    await parts.wired.outcomes.record(outcomes("u1", (1, RowStatus.INVALID)))
    await parts.wired.outcomes.record(outcomes("u1", (1, RowStatus.INVALID)))
    doc = await parts.store.get("t1", "u1") or {}
    assert doc["tally"] == {"invalid": 1} and doc["status"] == UploadStatus.IMPORTING.value


async def test_a_preview_counts_the_whole_file_and_its_matches_writing_no_upload(
    parts: Parts,
) -> None:
    doc = await parts.accept({})
    preview = await parts.wired.previews.start(
        tenant_id="t1", upload_id=doc["_id"], options=None, api_key="key-1"
    )
    assert preview["status"] == "running" and preview["match_key"] == "email"
    while True:
        got = await parts.wired.previews.get("t1", doc["_id"]) or {}
        if got["status"] != "running":
            break
        await asyncio.sleep(0.01)
    assert got["status"] == "completed", got["failure"]
    assert got["counts"] == {"rows": 3, "valid": 2, "invalid": 1, "duplicates": 0}
    assert got["matches"] == {"no_match": 1, "one_match": 1, "several_matches": 0}
    assert [e["row_number"] for e in got["invalid_examples"]] == [2]
    assert {call[0] for call in parts.contacts.calls} == {"key-1"}
    # Nothing of the upload changed, and no row went out.
    assert (await parts.store.get("t1", doc["_id"]) or {})["status"] == "uploaded"
    assert parts.events.rows == []
    assert await parts.wired.previews.get("t2", doc["_id"]) is None


async def test_a_record_entered_by_hand_is_checked_now_and_imported_as_a_one_row_upload(
    parts: Parts,
) -> None:
    options = UploadOptions.model_validate({"target": {"name": "Desk"}})
    with pytest.raises(Invalid, match="email") as refused:
        await parts.wired.accept.accept_record(
            tenant_id="t1",
            record={"first_name": "Ada", "email": "not-an-email"},
            options=options,
            uploaded_by="ops@example.com",
        )
    assert [e["field"] for e in refused.value.extensions["errors"]] == ["email"]
    with pytest.raises(Invalid, match="Unknown fields: colour"):
        await parts.wired.accept.accept_record(
            tenant_id="t1", record={"colour": "red"}, options=options, uploaded_by="ops"
        )
    assert parts.events.uploads == [] and parts.files.files == {}

    doc = await parts.wired.accept.accept_record(
        tenant_id="t1",
        record={"first_name": "Ada", "email": "ada@example.com"},
        options=options,
        uploaded_by="ops@example.com",
    )
    assert doc["file_name"] == "record.csv" and doc["target"]["name"] == "Desk"
    assert (await parts.parsed(doc["_id"]))["total_rows"] == 1
    assert [v for _, _, values in parts.events.rows for v in values] == ["ada@example.com"]
    assert list(parts.spool.glob("record-*")) == []
