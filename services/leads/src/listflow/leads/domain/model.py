"""Leads, lead lists and dialer campaigns as the leads service knows them."""

from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any

from listflow.leads.domain.retry import RetryRules
from listflow.leads.domain.windows import DAYS, CallingHours
from listflow.schemas.leads import CustomFieldDefinition, LeadData, LeadSnapshot, LeadStatus

# Statuses from which a lead is never queued (until churned or reset).
DONE = frozenset({LeadStatus.COMPLETED, LeadStatus.DNC})


@dataclass(frozen=True, slots=True)
class LeadList:
    id: str
    tenant_id: str
    name: str
    time_zone: str = "UTC"
    owner: str | None = None
    description: str | None = None
    fields: tuple[CustomFieldDefinition, ...] = ()
    enabled: bool = False
    campaign_ids: tuple[str, ...] = ()
    ready: bool = False
    # Per campaign, bumped by each assignment and each enabling: part of every queue id, so
    # leads withdrawn by an unassignment are queued again (as new messages) on reassignment.
    epochs: dict[str, int] = field(default_factory=dict)

    @property
    def dialable(self) -> bool:
        """Enabled, assigned and ready: its leads belong in the queue."""
        return self.enabled and self.ready and bool(self.campaign_ids)


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    tenant_id: str
    name: str
    hours: CallingHours = field(default_factory=CallingHours)
    retry: RetryRules = field(default_factory=RetryRules)
    priority: int = 0


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def valid_days(days: list[str]) -> tuple[str, ...]:
    chosen = {d.strip().lower()[:3] for d in days}
    unknown = chosen - set(DAYS)
    if unknown:
        raise ValueError(f"unknown days: {', '.join(sorted(unknown))}; use mon..sun")
    return tuple(d for d in DAYS if d in chosen)


@dataclass(frozen=True, slots=True)
class Lead:
    id: str
    tenant_id: str
    list_id: str
    data: LeadData
    created_at: datetime
    updated_at: datetime
    status: LeadStatus = LeadStatus.NEW
    attempts: int = 0
    # Bumped by churn and list reset: a new cycle is a new round of attempts.
    cycle: int = 0
    # Bumped when the lead's queued entries are replaced within an attempt (a number of it
    # went on the do-not-call list): the replacements need queue ids of their own.
    revision: int = 0
    next_attempt_at: datetime | None = None
    last_result: str | None = None
    created_from: str | None = None
    last_source: str | None = None
    version: int = 1

    @classmethod
    def new(
        cls, *, id: str, tenant_id: str, list_id: str, data: LeadData, now: datetime, source: str
    ) -> "Lead":
        if not data.phones:
            raise ValueError("a lead needs at least one phone")
        return cls(
            id=id,
            tenant_id=tenant_id,
            list_id=list_id,
            data=data,
            created_at=now,
            updated_at=now,
            created_from=source,
            last_source=source,
        )

    @property
    def phones(self) -> list[str]:
        return [p.e164 for p in self.data.phones]

    def _changed(self, now: datetime, source: str | None, **changes: Any) -> "Lead":
        return replace(
            self, updated_at=now, last_source=source, version=self.version + 1, **changes
        )

    def updated(self, data: LeadData, now: datetime, source: str) -> "Lead":
        return self._changed(now, source, data=data)

    def migrated(self, list_id: str, data: LeadData, now: datetime, source: str) -> "Lead":
        return self._changed(now, source, data=data, list_id=list_id)

    def churned(self, now: datetime, source: str | None) -> "Lead":
        """Dial state reset: called again from the first attempt."""
        return self._changed(
            now,
            source,
            cycle=self.cycle + 1,
            attempts=0,
            status=LeadStatus.NEW,
            next_attempt_at=None,
            last_result=None,
        )

    def snapshot(self) -> LeadSnapshot:
        return LeadSnapshot(
            id=self.id,
            version=self.version,
            list_id=self.list_id,
            data=self.data,
            status=self.status,
            attempts=self.attempts,
            next_attempt_at=self.next_attempt_at,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def queue_id(
    lead_id: str, campaign_id: str, epoch: int, cycle: int, attempt: int, revision: int = 0
) -> str:
    """One queue entry per (lead, campaign assignment, cycle, attempt): the queue's
    idempotency key, so a redelivered event finds the entry it made and queues nothing."""
    suffix = f".r{revision}" if revision else ""
    return f"{lead_id}|{campaign_id}|{epoch}.{cycle}.{attempt}{suffix}"


def merge_data(old: LeadData, new: LeadData) -> LeadData:
    """A duplicate's data updated by a row: values the row has win, blanks keep the old ones."""
    custom = {c.name.casefold(): c for c in old.custom}
    for c in new.custom:
        if c.value is not None:
            custom[c.name.casefold()] = c
    return LeadData(
        name=new.name or old.name,
        phones=new.phones or old.phones,
        time_zone=new.time_zone or old.time_zone,
        email=new.email or old.email,
        custom=tuple(custom.values()),
    )
