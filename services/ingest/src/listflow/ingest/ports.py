"""What ingest's use cases need from the outside world; adapters implement these."""

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from listflow.ingest.domain.batches import CheckedRow
from listflow.ingest.domain.upload import Tally, UploadStatus
from listflow.schemas.events import Event, ListReady

# An upload as stored: the document the routes and use cases read (`tally` filled in).
UploadDoc = dict[str, Any]
# Who counts into an upload's running tally: each writer has a part of its own, since two
# increments racing on one document lose one on FerretDB (see the Mongo adapter).


class UploadRepository(Protocol):
    """Uploads of every tenant, each read with its running tally."""

    async def ensure_indexes(self) -> None: ...

    async def insert(self, doc: UploadDoc) -> None: ...

    async def get(self, tenant_id: str, upload_id: str) -> UploadDoc | None:
        """The tenant's upload; None for another tenant's."""

    async def get_any(self, upload_id: str) -> UploadDoc | None:
        """For consumers: the event names the tenant, the upload id is the key."""

    async def update(self, upload_id: str, fields: Mapping[str, Any]) -> None: ...

    async def transition(
        self, upload_id: str, from_status: Iterable[UploadStatus], fields: Mapping[str, Any]
    ) -> UploadDoc | None:
        """Change state only from the given statuses: exactly one caller wins a transition."""

    async def history(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        status: str | None,
        target: str | None,
        created_from: datetime | None,
        created_to: datetime | None,
    ) -> tuple[list[UploadDoc], str | None]:
        """Newest first (ids are time-ordered), a page and the cursor of the next."""

    async def unfinished(self) -> list[UploadDoc]:
        """Uploads still importing, or completed but not yet announced."""

    async def claim(
        self, upload_id: str, owner: str, now: datetime, until: datetime
    ) -> UploadDoc | None:
        """Take the lease on reading an upload's file; only one ingest process reads it."""


class OutcomeLedger(Protocol):
    """One outcome per (upload, row), and the running tallies counted from them."""

    async def record(self, upload_id: str, outcomes: list[dict[str, Any]]) -> Tally:
        """Store outcomes once per row; what was new, so a replay counts nothing twice."""

    async def set_tally(self, upload_id: str, by_status: Mapping[str, int]) -> None:
        """Replace the running tally (with a recount of the ledger)."""

    async def recount(self, upload_id: str) -> Tally:
        """Authoritative counts from the ledger."""

    def errors(self, upload_id: str) -> AsyncIterator[dict[str, Any]]:
        """The invalid and failed outcomes in row order."""

    def outcomes(self, upload_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every outcome in row order."""


class UploadStore(UploadRepository, OutcomeLedger, Protocol):
    """Uploads and their ledger: one store, since a tally is read with its upload."""


class IngestEventSink(Protocol):
    """What ingest announces: upload lifecycle events, row events, ready lists."""

    async def upload_event(
        self, upload_id: str, event: Event, event_id: str | None = None
    ) -> None: ...

    async def contact_rows(
        self, tenant_id: str, upload_id: str, rows: Sequence[CheckedRow]
    ) -> None: ...

    async def lead_rows(
        self, tenant_id: str, upload_id: str, rows: Sequence[CheckedRow]
    ) -> None: ...

    async def list_ready(self, event: ListReady) -> None: ...
