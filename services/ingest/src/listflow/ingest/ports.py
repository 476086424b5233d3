"""What ingest's use cases need from the outside world; adapters implement these."""

from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from listflow.ingest.domain.batches import CheckedBatch, CheckedRow, CheckSpec
from listflow.ingest.domain.date_orders import DateScan
from listflow.ingest.domain.file_rows import BrokenRow, ReadLimits, Row, Sniffed
from listflow.ingest.domain.lead_rows import LeadListInfo
from listflow.ingest.domain.previews import MatchCounts
from listflow.ingest.domain.upload import Lease, Tally, UploadChange
from listflow.schemas.events import Event, ListReady
from listflow.schemas.values import MatchKey

# An upload as stored (`tally` filled in): the routes render it, the use cases decide on
# it as an `Upload` (listflow.ingest.domain.upload), whose changes are the only writes to it.
UploadDoc = dict[str, Any]


class UploadRepository(Protocol):
    """Uploads of every tenant, each read with its running tally."""

    async def ensure_indexes(self) -> None: ...

    async def insert(self, doc: UploadDoc) -> None: ...

    async def get(self, tenant_id: str, upload_id: str) -> UploadDoc | None:
        """The tenant's upload; None for another tenant's."""

    async def get_any(self, upload_id: str) -> UploadDoc | None:
        """For consumers: the event names the tenant, the upload id is the key."""

    async def apply(self, upload_id: str, change: UploadChange) -> UploadDoc | None:
        """Write a change its aggregate decided, in one atomic update, only from the statuses
        it names (if any): of two racing changes exactly one wins. The upload as changed;
        None when there is no such upload or it is in another status."""

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

    async def claim(self, upload_id: str, lease: Lease, now: datetime) -> UploadDoc | None:
        """Take (or renew) the lease on reading an importing upload's file, if no other
        process holds it at `now` (`Lease.lets`): only one ingest process reads a file."""


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


class FileStorage(Protocol):
    """The uploaded files themselves, kept whole (an import or a preview reads one again)."""

    async def put(
        self, file_id: str, path: Path, filename: str, metadata: dict[str, Any]
    ) -> None: ...

    async def fetch(self, file_id: str, path: Path) -> None:
        """Copy the stored file to `path`."""


class FileReader(Protocol):
    """Reading a list file: what its start reveals, its date columns, its rows in batches.
    (`listflow.ingest.adapters.reader`, a module, is the one implementation.)"""

    def sniff(
        self,
        path: Path,
        *,
        encoding: str | None = ...,
        delimiter: str | None = ...,
        quote: str | None = ...,
        header: bool | None = ...,
        sheet: str | None = ...,
        limits: ReadLimits = ...,
    ) -> Sniffed: ...

    def scan_dates(self, path: Path, sniffed: Sniffed, *, limits: ReadLimits = ...) -> DateScan: ...

    def iter_row_batches(
        self, path: Path, sniffed: Sniffed, *, batch_rows: int = ..., limits: ReadLimits = ...
    ) -> Iterator[list[Row | BrokenRow]]: ...


class RowChecks(Protocol):
    """Rows checked against an import's spec (in worker processes, or a thread)."""

    def checked_ahead(
        self, spec: CheckSpec, batches: Iterator[Sequence[Row | BrokenRow]], max_rows: int
    ) -> AsyncGenerator[CheckedBatch]:
        """The batches checked in file order; a file over `max_rows` rows is rejected."""

    async def keys(
        self, spec: CheckSpec, batch: Sequence[Row | BrokenRow]
    ) -> list[tuple[int, str]]:
        """Each valid row's number and match value."""

    def start(self) -> Sequence[Future[int]]:
        """Start the checkers now, in the background, ahead of the first batch."""

    def close(self) -> None: ...


class LeadLists(Protocol):
    """Lead-list targets, found (or created by name) by the leads service."""

    async def resolve(
        self, api_key: str | None, *, list_id: str | None, name: str | None
    ) -> LeadListInfo: ...


# The most match values one call to `ContactMatches.match_counts` takes.
MAX_VALUES = 5000


class ContactsUnavailable(RuntimeError):
    """Contacts did not answer; the message is meant for the operator."""


class ContactMatches(Protocol):
    """How many stored contacts the match values find (for previews), per tenant."""

    async def match_counts(self, api_key: str, key: MatchKey, values: list[str]) -> MatchCounts:
        """At most MAX_VALUES values; raises ContactsUnavailable when contacts does not answer."""

    async def close(self) -> None: ...


class PreviewRepository(Protocol):
    """One preview document per upload (`_id` is the upload id)."""

    async def replace(self, doc: dict[str, Any]) -> None: ...

    async def update(self, upload_id: str, run_id: str, fields: Mapping[str, Any]) -> None:
        """Only while `run_id` is the preview's run: a superseded run writes nothing."""

    async def get(self, tenant_id: str, upload_id: str) -> dict[str, Any] | None: ...


class SavedMappings(Protocol):
    """A tenant's saved column mappings."""

    async def find(self, tenant_id: str, name_or_id: str) -> dict[str, Any] | None:
        """By id, else by name."""
