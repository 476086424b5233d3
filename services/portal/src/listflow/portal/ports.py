"""What the portal's use cases need from the outside world; adapters implement these."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from listflow.portal.domain.idv import LockState, Outcome
from listflow.portal.domain.model import AccessLink, Customer, PortalSettings
from listflow.portal.domain.money import Judged, Payment, Plan, Promise
from listflow.schemas.payments import PaymentEvent
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked


@dataclass(frozen=True, slots=True)
class LinkPage:
    items: list[AccessLink]
    next_cursor: str | None


class PortalRepository(Protocol):
    # --- settings -----------------------------------------------------------------------
    async def get_settings(self, tenant_id: str) -> PortalSettings | None: ...

    async def put_settings(self, tenant_id: str, settings: PortalSettings) -> None: ...

    # --- the read model of customers ------------------------------------------------------
    async def upsert_customers(self, customers: Sequence[Customer]) -> list[Customer]:
        """Keep each snapshot newer than the stored one; returns those kept (a replayed or
        older snapshot changes nothing)."""
        ...

    async def get_customer(self, tenant_id: str, contact_id: str) -> Customer | None: ...

    async def contact_ids_in_group(self, tenant_id: str, group_id: str) -> list[str]:
        """The contact ids of the customers (not deleted) the read model places in the
        group, in no particular order."""
        ...

    async def mark_group_ready(self, tenant_id: str, group_id: str, at: datetime) -> bool:
        """Remember the group as ready (for the customers who reach the read model later);
        whether a ListReady of `at` or later was already answered in full (this one is a
        redelivery)."""
        ...

    async def mark_group_answered(self, tenant_id: str, group_id: str, at: datetime) -> None:
        """Every customer of the group has an announced link as of the ListReady of `at`."""
        ...

    async def ready_groups(self, tenant_id: str) -> set[str]: ...

    # --- access links ---------------------------------------------------------------------
    async def current_link(self, tenant_id: str, contact_id: str) -> AccessLink | None: ...

    async def current_links(
        self, tenant_id: str, contact_ids: Sequence[str]
    ) -> dict[str, AccessLink]:
        """The current link of each of the tenant's contacts that has one, by contact id."""
        ...

    async def insert_link(self, link: AccessLink) -> bool:
        """Store the contact's first link; False if it has one already (another writer won)."""
        ...

    async def insert_links(self, links: Sequence[AccessLink]) -> set[str]:
        """`insert_link` for many at once: the ids of the links stored (a contact that has a
        link already keeps it)."""
        ...

    async def replace_link(self, old: AccessLink, new: AccessLink) -> bool:
        """Replace the contact's link if it is still `old`; False if it changed meanwhile."""
        ...

    async def save_link_state(self, link: AccessLink) -> bool:
        """Write `published`/`revoked_at` of the link if it is still the contact's current."""
        ...

    async def mark_links_published(self, links: Sequence[AccessLink]) -> None:
        """Mark each link announced, where it is still its contact's current link (the
        links of a batch once for the batch: each of them reads back published)."""
        ...

    async def link_by_token_hash(self, token_hash: str) -> AccessLink | None: ...

    async def links_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> LinkPage: ...


class LinkEvents(Protocol):
    async def links_issued(self, events: Sequence[AccessLinkIssued]) -> None: ...

    async def links_revoked(self, events: Sequence[AccessLinkRevoked]) -> None: ...


# --- ID&V -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdvAttempt:
    """One audited ID&V attempt. `address` is a keyed digest of the client's address."""

    id: str
    tenant_id: str
    contact_id: str
    link_id: str
    at: datetime
    outcome: Outcome
    address: str


@dataclass(frozen=True, slots=True)
class AttemptPage:
    items: list[IdvAttempt]
    next_cursor: str | None


class VerificationStore(Protocol):
    async def lock_state(self, link_id: str) -> LockState: ...

    async def record_failure(self, link_id: str) -> int:
        """Count one more failure in a row (atomically); returns the count."""
        ...

    async def lock(self, link_id: str, until: datetime) -> None:
        """Lock the link until then; its run of failures starts again from zero."""
        ...

    async def clear_failures(self, link_id: str) -> None: ...

    async def hit(self, key: str, window_start: datetime, expires_at: datetime) -> int:
        """Count one request against a throttle window (atomically); returns the count."""
        ...

    async def audit(self, attempt: IdvAttempt) -> None: ...

    async def attempts_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> AttemptPage:
        """Newest first."""
        ...


# --- a page view -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageView:
    """All a customer page reads of the store, found in one round trip: the customer, their
    current link, that link's ID&V lock and the tenant's settings (None: the defaults)."""

    customer: Customer
    link: AccessLink
    lock: LockState
    settings: PortalSettings | None


class PageViews(Protocol):
    async def page_view(self, tenant_id: str, contact_id: str) -> PageView | None:
        """None when the customer or their current link is missing."""
        ...


# --- payments, promises, plans -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentPage:
    items: list[Payment]
    next_cursor: str | None


class PaymentStore(Protocol):
    async def insert_payment(self, payment: Payment) -> Payment:
        """Store a new payment; if one with its id exists (a double submit), return that."""
        ...

    async def set_intent(self, payment: Payment, intent_id: str, hosted_url: str) -> None: ...

    async def get_payment(self, tenant_id: str, payment_id: str) -> Payment | None: ...

    async def settle(self, settled: Payment) -> bool:
        """Write the first final result of a pending payment; False if it had one already
        (a repeated or late webhook then changes nothing)."""
        ...

    async def mark_published(self, payment: Payment) -> None: ...

    async def payments_of(self, tenant_id: str, contact_id: str) -> list[Payment]:
        """Newest first."""
        ...

    async def payments_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> PaymentPage:
        """Newest first (cursor: the last id of the page before)."""
        ...

    async def insert_promise(self, promise: Promise) -> None: ...

    async def promises_of(self, tenant_id: str, contact_id: str) -> list[Promise]: ...

    async def promises_to_judge(self, due_before: date, limit: int) -> list[Promise]:
        """Open promises due before that day and judged ones not yet announced (any tenant)."""
        ...

    async def judge(self, judged: Promise) -> bool:
        """Write a verdict if the promise is still open (False: another judge was first)."""
        ...

    async def mark_announced(self, promise: Promise) -> None: ...

    async def insert_plan(self, plan: Plan) -> None: ...

    async def plans_of(self, tenant_id: str, contact_id: str) -> list[Plan]: ...

    async def plans_to_judge(self, due_before: date, limit: int) -> list[Plan]:
        """Plans with an instalment due before that day and no verdict, or a verdict not yet
        announced (any tenant)."""
        ...

    async def judge_instalment(self, plan: Plan, judged: Judged, next_due: date | None) -> bool:
        """Write the instalment's verdict unless it has one (False: another judge was first)."""
        ...

    async def mark_instalment_announced(self, plan: Plan, number: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    status: str
    hosted_url: str
    failure_code: str | None = None


class PaymentProvider(Protocol):
    """A card provider with hosted pages (card data never reaches the portal)."""

    async def create_intent(
        self,
        *,
        idempotency_key: str,
        amount: Decimal,
        currency: str,
        description: str,
        metadata: dict[str, str],
        return_url: str,
    ) -> Intent: ...

    async def retrieve(self, intent_id: str) -> Intent: ...


class PaymentEvents(Protocol):
    async def publish(self, events: Sequence[PaymentEvent], event_ids: Sequence[str]) -> None: ...
