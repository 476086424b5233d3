"""What the use cases need from the outside world; adapters implement these."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from listflow.contacts.domain.model import Contact
from listflow.schemas.events import ContactChange, RowOutcomes
from listflow.schemas.values import MatchKey, TargetRef

KeyRef = tuple[MatchKey, str]
# A lookup term: a match key, or ("tag" | "group" | "name", value) for the list filters.
Term = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Claim:
    """A key claimed for a new contact, with the key that contact was matched by."""

    key: KeyRef
    contact_id: str
    own_key: KeyRef | None
    claimed_at: datetime | None = field(default=None, compare=False)


class ConcurrentUpdate(Exception):
    """Another writer changed a contact between our read and our write."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Contact]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Every term must be among a contact's lookup terms; `updated_since` is inclusive."""

    terms: tuple[Term, ...] = ()
    updated_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """A group or a tag of one tenant. Its id derives from its name, which never changes."""

    id: str
    tenant_id: str
    name: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LabelPage:
    items: list[Label]
    next_cursor: str | None


class ContactRepository(Protocol):
    async def find_by_keys(
        self, tenant_id: str, keys: Collection[KeyRef]
    ) -> tuple[dict[KeyRef, list[str]], dict[str, Contact]]:
        """The ids of the contacts each key finds, and those contacts."""
        ...

    async def count_matches(
        self, tenant_id: str, key: MatchKey, values: Collection[str], *, cap: int = 2
    ) -> dict[str, int]:
        """How many contacts each normalized value of `key` finds, counted up to `cap`."""
        ...

    async def claim_keys(
        self, tenant_id: str, claims: Sequence[Claim], ours: Collection[str] = ()
    ) -> list[tuple[Claim, Claim]]:
        """Claim every key not held yet. A key already held for one of `ours` (contact ids:
        an earlier attempt of the same batch, or another new contact of it) counts as got.

        Returns, in the order given, each key held by another writer: (our claim, the
        holder's claim)."""
        ...

    async def take_over_claim(self, tenant_id: str, stale: Claim, ours: Claim) -> bool:
        """Replace a claim whose contact never came (its writer died) with ours, if it is
        still that claim."""
        ...

    async def release_claims(self, tenant_id: str, claims: Sequence[Claim]) -> None:
        """Give back keys we claimed (a batch that retries must not block others)."""
        ...

    async def save(
        self, created: Sequence[Contact], updated: Sequence[tuple[Contact, int]]
    ) -> None:
        """Write new contacts and updates (each with the version it was read at); from then on
        every match key in a contact's data finds it. Raises ConcurrentUpdate if a read
        version is stale."""
        ...

    async def delete(self, contact: Contact) -> bool:
        """Delete the contact if it is still at its version (and release its key claims);
        False if it changed or was deleted meanwhile."""
        ...

    async def ensure_groups(self, tenant_id: str, groups: Collection[TargetRef]) -> None: ...

    async def get(self, tenant_id: str, contact_id: str) -> Contact | None: ...

    async def page(
        self,
        tenant_id: str,
        *,
        group_id: str | None,
        limit: int,
        cursor: str | None,
        filters: ContactFilter | None = None,
    ) -> Page: ...

    async def count(
        self, tenant_id: str, *, group_id: str | None, filters: ContactFilter | None = None
    ) -> int:
        """How many contacts `page` would walk through with these filters, over every page."""
        ...

    async def group_id_by_name(self, tenant_id: str, name: str) -> str | None: ...

    # Groups and tags share one shape ("group" or "tag" as `kind`).
    async def create_label(self, kind: str, label: Label) -> bool:
        """False if the tenant already has one by that name."""
        ...

    async def get_label(self, kind: str, tenant_id: str, label_id: str) -> Label | None: ...

    async def labels_page(
        self, kind: str, tenant_id: str, *, limit: int, cursor: str | None
    ) -> LabelPage: ...

    async def describe_label(
        self, kind: str, tenant_id: str, label_id: str, description: str | None
    ) -> Label | None: ...

    async def delete_label(self, kind: str, tenant_id: str, label_id: str) -> bool: ...

    async def defined_tags(self, tenant_id: str, keys: Collection[str]) -> dict[str, str]:
        """For each tag key (case-folded name) the tenant has defined: the defined name."""
        ...

    async def ensure_tags(self, tenant_id: str, names: Collection[str]) -> None:
        """Define the tags that are not yet (created by an upload that allows it)."""
        ...


class EventSink(Protocol):
    async def contacts_changed(self, events: Sequence[ContactChange]) -> None: ...

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None: ...
