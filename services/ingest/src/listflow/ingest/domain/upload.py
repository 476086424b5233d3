"""The upload aggregate: its options, status, counts and progress."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from listflow.kit.errors import Conflict
from listflow.schemas.events import (
    Event,
    ListReady,
    UploadCancelled,
    UploadCompleted,
    UploadParsed,
    UploadStarted,
)
from listflow.schemas.values import Counts, MatchPolicy, RowStatus, TargetKind, TargetRef
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from .file_rows import Sniffed, sniffed_of
from .lead_rows import LeadListInfo


class UploadStatus(StrEnum):
    UPLOADED = "uploaded"
    IMPORTING = "importing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


TERMINAL = frozenset({UploadStatus.COMPLETED, UploadStatus.CANCELLED, UploadStatus.FAILED})


class Strict(BaseModel):
    # Unknown keys are refused, so a misspelt option is an error and not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetOption(Strict):
    kind: TargetKind = TargetKind.GROUP
    name: str | None = Field(default=None, min_length=1, max_length=200)
    id: str | None = Field(default=None, min_length=1, max_length=100)


class ConsentsOption(Strict):
    email: bool | None = None
    sms: bool | None = None
    call: bool | None = None


class DuplicatesOption(Strict):
    scope: Literal["none", "list", "campaign", "tenant"] = "list"
    action: Literal["skip", "update", "migrate"] = "skip"


class UploadOptions(Strict):
    """The `options` object of POST /v1/uploads (the public upload contract)."""

    target: TargetOption | None = None
    template: Literal["basic-contacts", "accounts", "debtor-accounts", "dialer-leads"] | None = None
    mapping: dict[str, str] | None = None
    saved_mapping: str | None = Field(
        default=None,
        max_length=200,
        description="Name or id of a saved mapping (/v1/mappings); `mapping` keys override it.",
    )
    default_region: str | None = Field(default=None, min_length=2, max_length=2)
    date_order: Literal["DMY", "MDY", "YMD"] | None = Field(
        default=None,
        description="The order of every date column. Without it each date column's own "
        "values decide, and where they cannot tell, the upload's region (day first for GB, "
        "most of Europe and Latin America; month first for US).",
    )
    encoding: str | None = Field(default=None, max_length=40)
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    quote: str | None = Field(default=None, min_length=1, max_length=1)
    header: bool | None = None
    sheet: str | None = None
    match: MatchPolicy = Field(default_factory=MatchPolicy)
    duplicates: DuplicatesOption | None = None
    churn: bool = False
    tags: list[str] = Field(default_factory=list)
    create_missing_tags: bool = False
    consents: ConsentsOption | None = None
    insist: bool = Field(
        default=False,
        description="Import even when the first 1,000 rows are all invalid for the same "
        "reason (otherwise the import stops as failed with that reason).",
    )
    start: bool | None = Field(
        default=None,
        description="Start the import now. Defaults to true when a target is given.",
    )

    @field_validator("mapping", mode="before")
    @classmethod
    def _mapping_from_pairs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {pair["column"]: pair["field"] for pair in value if isinstance(pair, dict)}
        return value

    @field_serializer("mapping")
    def _mapping_as_pairs(self, mapping: dict[str, str] | None) -> list[dict[str, str]] | None:
        # Stored as pairs: headers such as "Tel." or "$Mail" cannot be document keys on
        # FerretDB (nor safely on MongoDB); the validator above reads them back.
        if mapping is None:
            return None
        return [{"column": column, "field": field} for column, field in mapping.items()]

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    def should_start(self) -> bool:
        return self.start if self.start is not None else self.target is not None

    def merged_with(self, other: "UploadOptions | None") -> "UploadOptions":
        """These options with the keys explicitly set in `other` taking precedence."""
        if other is None:
            return self
        return self.model_copy(update={k: getattr(other, k) for k in other.model_fields_set})


@dataclass(frozen=True)
class Tally:
    """Outcomes counted so far, by row status."""

    by_status: dict[str, int] = field(default_factory=dict)

    def get(self, status: RowStatus) -> int:
        return self.by_status.get(status.value, 0)

    @property
    def processed(self) -> int:
        return sum(self.by_status.values())

    def counts(self, total: int) -> Counts:
        return Counts(
            total=total,
            imported=self.get(RowStatus.IMPORTED),
            updated=self.get(RowStatus.UPDATED),
            skipped=self.get(RowStatus.SKIPPED),
            duplicates=self.get(RowStatus.DUPLICATE),
            errors=self.get(RowStatus.INVALID) + self.get(RowStatus.FAILED),
        )


@dataclass(frozen=True)
class Progress:
    rows_read: int
    processed: int
    total: int | None
    percent: float
    rows_per_second: float | None
    eta_seconds: float | None


def progress(
    *,
    rows_read: int,
    processed: int,
    total: int | None,
    started_at: datetime | None,
    now: datetime,
    row_estimate: int | None,
) -> Progress:
    """Percent done and a rate-based ETA. Until the whole file is read the total is only an
    estimate (from the file size and the sampled rows), so the bar uses it and never says 100."""
    if total == 0:
        percent = 100.0
    elif total is not None:
        percent = 100.0 * min(processed / total, 1.0)
    elif row_estimate:
        percent = min(99.0, 100.0 * processed / max(row_estimate, rows_read, 1))
    else:
        percent = 0.0
    if total is None and row_estimate:
        total_guess: int | None = max(row_estimate, rows_read)
    else:
        total_guess = total
    rate = None
    eta = None
    if started_at is not None:
        elapsed = (now - started_at).total_seconds()
        if elapsed > 0 and processed > 0:
            rate = processed / elapsed
            if total_guess is not None:
                eta = max(total_guess - processed, 0) / rate
    return Progress(rows_read, processed, total, round(percent, 1), rate, eta)


# Where a cancel may come from; a finished upload stays as it finished.
CANCELLABLE = frozenset({UploadStatus.UPLOADED, UploadStatus.IMPORTING})
# How long an ingest process holds the reading of an upload's file without renewing it.
LEASE_TERM = timedelta(seconds=30)


@dataclass(frozen=True)
class UploadChange:
    """One write to an upload, as its aggregate decided it: the fields it sets, and the
    statuses it applies from (none named: whatever the status). The store applies it in one
    atomic update, so of two changes racing from one status exactly one wins."""

    fields: Mapping[str, Any]
    from_status: frozenset[UploadStatus] = frozenset()


@dataclass(frozen=True)
class Lease:
    """Which ingest process reads an upload's file, and until when (renewed every batch):
    one process reads a file, and another takes over once the holder stops renewing."""

    owner: str
    until: datetime

    @classmethod
    def taken(cls, owner: str, now: datetime) -> "Lease":
        return cls(owner, now + LEASE_TERM)

    def lets(self, owner: str, now: datetime) -> bool:
        """Whether `owner` may take (or renew) the reading at `now`: theirs, or run out."""
        return self.owner == owner or self.until < now


@dataclass
class Upload:
    """An upload as its use cases decide on it: its status, its rows and its tally. It says
    whether a change may happen and what it writes, and records the events of the change;
    the store applies the change only from the statuses named (one caller wins a race), and
    the service publishes the recorded events once the write succeeded."""

    id: str
    tenant_id: str
    status: UploadStatus
    total_rows: int | None
    tally: Tally
    target: TargetRef | None = None
    announced: bool = True
    completed_at: datetime | None = None
    # The options it was sent with (or started with), the file's columns and layout.
    options: UploadOptions = field(default_factory=UploadOptions)
    headers: list[str] = field(default_factory=list)
    layout: Sniffed | None = None
    # What the file's date columns showed of their order (counts; see date_orders).
    date_evidence: list[dict[str, Any]] = field(default_factory=list)
    row_estimate: int | None = None
    lead_list: LeadListInfo | None = None
    lease: Lease | None = None
    events: list[Event] = field(default_factory=list)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> "Upload":
        """For the repository's documents only: no rule is checked here."""
        target = doc.get("target")
        detected = doc.get("detected") or {}
        lease_owner, lease_until = doc.get("lease_owner"), doc.get("lease_until")
        return cls(
            id=doc["_id"],
            tenant_id=doc["tenant_id"],
            status=UploadStatus(doc["status"]),
            total_rows=doc.get("total_rows"),
            tally=Tally(doc.get("tally", {})),
            target=TargetRef.model_validate(target) if target else None,
            announced=doc.get("announced", True),
            completed_at=doc.get("completed_at"),
            options=UploadOptions.model_validate(doc.get("options") or {}),
            headers=list(doc.get("headers") or []),
            layout=sniffed_of(doc) if detected else None,
            date_evidence=list(detected.get("date_columns") or []),
            row_estimate=detected.get("row_estimate"),
            lead_list=LeadListInfo.from_document(doc["lead_list"])
            if doc.get("lead_list")
            else None,
            lease=Lease(lease_owner, lease_until) if lease_owner and lease_until else None,
        )

    def start(
        self,
        *,
        options: UploadOptions,
        target: TargetRef,
        match: MatchPolicy,
        mapping: Mapping[int, str],
        date_orders: Sequence[Mapping[str, Any]],
        now: datetime,
    ) -> UploadChange:
        """Start importing with the plan made of `options` (its target, match policy, mapping
        and date orders); only an upload not yet started. Records UploadStarted."""
        if self.status is not UploadStatus.UPLOADED:
            raise Conflict("Already started", f"Upload {self.id} is {self.status.value}.")
        self.events.append(
            UploadStarted(
                tenant_id=self.tenant_id,
                upload_id=self.id,
                target=target,
                match=match,
                started_at=now,
            )
        )
        return UploadChange(
            {
                "status": UploadStatus.IMPORTING.value,
                "options": options.model_dump(mode="json", exclude_unset=True),
                "target": target.model_dump(mode="json"),
                "match": match.model_dump(mode="json"),
                "mapping": {str(k): v for k, v in mapping.items()},
                "date_orders": [dict(o) for o in date_orders],
                "started_at": now,
                **({"lead_list": self.lead_list.document()} if self.lead_list else {}),
            },
            frozenset({UploadStatus.UPLOADED}),
        )

    def reading(self) -> bool:
        """Importing, its file not yet read to the end."""
        return self.status is UploadStatus.IMPORTING and self.total_rows is None

    def left_unread(self, now: datetime) -> bool:
        """Being imported, but nobody reads its file: nobody holds the lease, or its holder
        stopped renewing it (a crash), so the import is to be resumed."""
        return self.reading() and (self.lease is None or self.lease.until < now)

    def read_progress(self, rows_read: int, lease: Lease | None = None) -> UploadChange:
        """How far the file is read; with the importer's renewed lease."""
        renewed = {"lease_owner": lease.owner, "lease_until": lease.until} if lease else {}
        return UploadChange({"rows_read": rows_read, **renewed})

    def file_read(
        self, *, rows: int, published: int, invalid: int, duplicates: int, now: datetime
    ) -> UploadChange:
        """The whole file is read: its number of rows is known. Records UploadParsed."""
        self.events.append(
            UploadParsed(
                tenant_id=self.tenant_id,
                upload_id=self.id,
                total_rows=rows,
                published_rows=published,
                invalid_rows=invalid,
                duplicate_rows=duplicates,
                parsed_at=now,
            )
        )
        return UploadChange({"rows_read": rows, "total_rows": rows, "parsed_at": now})

    def fail(self, reason: str) -> UploadChange:
        """The import stopped for `reason` (told to the operator); only while importing."""
        return UploadChange(
            {"status": UploadStatus.FAILED.value, "failure": reason},
            frozenset({UploadStatus.IMPORTING}),
        )

    @property
    def parsed(self) -> bool:
        """The whole file is read: the number of rows is known."""
        return self.total_rows is not None

    def counted_past_end(self) -> bool:
        """More outcomes than rows: only a tally repair racing a late increment does that,
        and the ledger must decide."""
        return self.total_rows is not None and self.tally.processed > self.total_rows

    def completion(self, tally: Tally, now: datetime) -> UploadChange | None:
        """What completes an importing upload once every row has an outcome in `tally`
        (its running tally, or the ledger's recount); None while rows are outstanding."""
        if self.status is not UploadStatus.IMPORTING or self.total_rows is None:
            return None
        if tally.processed < self.total_rows:
            return None
        return UploadChange(
            {
                "status": UploadStatus.COMPLETED.value,
                "tally": tally.by_status,
                "completed_at": now,
                "announced": False,
            },
            frozenset({UploadStatus.IMPORTING}),
        )

    def needs_announcing(self) -> bool:
        return self.status is UploadStatus.COMPLETED and not self.announced

    def announce(self) -> None:
        """Record the completion's events: UploadCompleted and the target list's ListReady."""
        assert self.target is not None
        assert self.completed_at is not None
        assert self.total_rows is not None
        counts = self.tally.counts(self.total_rows)
        self.events += [
            UploadCompleted(
                tenant_id=self.tenant_id,
                upload_id=self.id,
                target=self.target,
                counts=counts,
                completed_at=self.completed_at,
            ),
            ListReady(
                tenant_id=self.tenant_id,
                list_kind=self.target.kind,
                list_id=self.target.id,
                list_name=self.target.name,
                upload_id=self.id,
                counts=counts,
                ready_at=self.completed_at,
            ),
        ]

    def announced_change(self) -> UploadChange:
        """Written once the completion's events are published: it is not announced again."""
        return UploadChange({"announced": True})

    def cancel(self, now: datetime) -> UploadChange:
        """What cancels the upload; refused once it has finished. Records UploadCancelled."""
        if self.status not in CANCELLABLE:
            raise Conflict("Cannot cancel", f"Upload {self.id} is already {self.status.value}.")
        self.events.append(
            UploadCancelled(tenant_id=self.tenant_id, upload_id=self.id, cancelled_at=now)
        )
        return UploadChange(
            {"status": UploadStatus.CANCELLED.value, "cancelled_at": now}, CANCELLABLE
        )


def counts_dict(counts: Counts) -> dict[str, Any]:
    return counts.model_dump()


__all__ = [
    "CANCELLABLE",
    "LEASE_TERM",
    "TERMINAL",
    "Lease",
    "Progress",
    "Tally",
    "Upload",
    "UploadChange",
    "UploadOptions",
    "UploadStatus",
    "progress",
    "replace",
]
