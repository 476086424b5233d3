"""What the use cases need from the outside world; adapters implement these."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from listflow.contacts.domain.model import Contact
from listflow.schemas.events import ContactCreated, ContactUpdated, RowOutcomes
from listflow.schemas.values import MatchKey, TargetRef

KeyRef = tuple[MatchKey, str]


class ConcurrentUpdate(Exception):
    """Another writer changed a contact between our read and our write."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Contact]
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

    async def claim_keys(self, tenant_id: str, claims: dict[KeyRef, str]) -> dict[KeyRef, str]:
        """Claim each key for the contact id about to be created under it; returns the id
        that holds each key (ours, or another writer's that claimed it first)."""
        ...

    async def save(
        self, created: Sequence[Contact], updated: Sequence[tuple[Contact, int]]
    ) -> None:
        """Write new contacts and updates (each with the version it was read at); from then on
        every match key in a contact's data finds it. Raises ConcurrentUpdate if a read
        version is stale."""
        ...

    async def ensure_groups(self, tenant_id: str, groups: Collection[TargetRef]) -> None: ...

    async def get(self, tenant_id: str, contact_id: str) -> Contact | None: ...

    async def page(
        self, tenant_id: str, *, group_id: str | None, limit: int, cursor: str | None
    ) -> Page: ...

    async def group_id_by_name(self, tenant_id: str, name: str) -> str | None: ...


class EventSink(Protocol):
    async def contacts_changed(self, events: Sequence[ContactCreated | ContactUpdated]) -> None: ...

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None: ...
