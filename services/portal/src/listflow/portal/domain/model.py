"""The portal's domain: access links, the tenant's portal settings, and the read model of a
customer kept from contact snapshots. Pure: no I/O library here."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from listflow.schemas.events import ContactSnapshot
from listflow.schemas.payments import Frequency
from pydantic import BaseModel, ConfigDict, Field, field_validator

# 16 random bytes: 128 bits, 22 characters of base64url, short enough for an SMS.
TOKEN_BYTES = 16


class IdvFact(StrEnum):
    DATE_OF_BIRTH = "date_of_birth"
    POSTCODE = "postcode"
    ACCOUNT_LAST4 = "account_last4"
    NATIONAL_ID_LAST4 = "national_id_last4"


class PortalSettings(BaseModel):
    """One tenant's portal settings (GET/PUT /v1/portal/settings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    idv_fields: tuple[IdvFact, ...] = Field(
        default=(IdvFact.DATE_OF_BIRTH, IdvFact.POSTCODE), min_length=1, max_length=4
    )
    max_attempts: int = Field(default=5, ge=1, le=20)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    promise_to_pay: bool = True
    payment_plans: bool = True
    link_expiry_days: int = Field(default=30, ge=1, le=365)
    session_idle_minutes: int = Field(default=10, ge=2, le=120)
    minimum_payment: Decimal = Field(default=Decimal("1.00"), ge=0, le=Decimal("1000000"))
    # Promise to pay: a date at most this many days ahead, at least the minimum payment.
    promise_max_days: int = Field(default=30, ge=1, le=365)
    # Plans from tenant rules (used where the file gave no plan columns for the customer).
    plan_instalments: tuple[int, ...] = Field(default=(3, 6, 12), min_length=1, max_length=12)
    plan_frequencies: tuple[Frequency, ...] = Field(
        default=("weekly", "fortnightly", "monthly"), min_length=1, max_length=3
    )
    plan_min_instalment: Decimal = Field(default=Decimal("10.00"), ge=0, le=Decimal("1000000"))
    # Hold customers with an active promise or plan out of collections campaigns and dialer
    # queues. On by default: chasing a customer who has just agreed how and when to pay is
    # what collections practice (and regulators' forbearance rules) say not to do, and it
    # makes customers break the arrangement; a tenant that wants reminders turns it off.
    hold_arrangements: bool = True

    @field_validator("idv_fields", "plan_frequencies", "plan_instalments")
    @classmethod
    def _distinct(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each value may be named once")
        return value

    @field_validator("plan_instalments")
    @classmethod
    def _instalments(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 2 <= n <= 60 for n in value):
            raise ValueError("a plan has 2 to 60 instalments")
        return tuple(sorted(value))


LinkReason = Literal["list_ready", "contact_added", "on_demand", "reissue"]


def new_token() -> str:
    """A fresh unguessable token; only its hash is ever stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    # A plain SHA-256 is enough: the token has 128 random bits, so no dictionary or
    # brute force applies, and a lookup by hash must be one index probe per page view.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AccessLink:
    """A customer's current link. One per (tenant, contact); a reissue replaces it."""

    id: str
    tenant_id: str
    contact_id: str
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    reason: LinkReason
    revoked_at: datetime | None = None
    # False from the write until the AccessLinkIssued event is acknowledged by Kafka. The
    # reads that issuing decides by (a contact's current links, the links' pages) look up
    # the batch's announcement; a page view's read by token does not.
    published: bool = False
    # The links issued in one write and announced together: the store may record their
    # announcement once for the batch rather than on each link.
    batch: str | None = None

    @classmethod
    def new(
        cls,
        tenant_id: str,
        contact_id: str,
        *,
        now: datetime,
        expiry_days: int,
        reason: LinkReason,
        batch: str | None = None,
    ) -> tuple["AccessLink", str]:
        """A new link and its token (the token is returned once, never stored)."""
        token = new_token()
        link = cls(
            id=secrets.token_hex(12),
            tenant_id=tenant_id,
            contact_id=contact_id,
            token_hash=token_hash(token),
            issued_at=now,
            expires_at=now + timedelta(days=expiry_days),
            reason=reason,
            batch=batch,
        )
        return link, token

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def revoked(self, now: datetime) -> "AccessLink":
        return replace(self, revoked_at=self.revoked_at or now)


@dataclass(frozen=True, slots=True)
class AccountView:
    id: str
    number: str
    balance: Decimal | None
    currency: str | None


def account_id(contact_id: str, number: str) -> str:
    """The Kafka key of an account's payment events: stable for a contact's account."""
    return f"{contact_id}:{number}"


@dataclass(frozen=True, slots=True)
class PlanOffer:
    """A plan the upload file offered the customer (its plan columns)."""

    instalments: int
    frequency: Frequency
    amount: Decimal | None = None


# The upload file's plan columns (kept as additional data by contacts), by normalized name.
PLAN_COLUMNS = {
    "instalments": ("plan_instalments", "plan_installments", "instalments", "installments"),
    "frequency": ("plan_frequency", "frequency"),
    "amount": ("plan_amount", "instalment_amount", "installment_amount"),
}


def plan_offer(extra: dict[str, str]) -> PlanOffer | None:
    """The file's plan offer, if its plan columns hold a usable one (else tenant rules apply)."""
    columns = {k.strip().casefold().replace(" ", "_"): v.strip() for k, v in extra.items()}

    def first(kind: str) -> str | None:
        return next((columns[n] for n in PLAN_COLUMNS[kind] if columns.get(n)), None)

    count, frequency, amount = first("instalments"), first("frequency"), first("amount")
    if count is None or not count.isdigit() or not 2 <= int(count) <= 60:
        return None
    frequency = (frequency or "monthly").casefold()
    if frequency not in ("weekly", "fortnightly", "monthly"):
        return None
    try:
        value = Decimal(amount) if amount else None
    except ArithmeticError:
        value = None
    if value is not None and (not value.is_finite() or value <= 0):
        value = None
    return PlanOffer(int(count), frequency, value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Customer:
    """What the portal keeps of a contact: enough for ID&V and the pages, nothing more.

    National ids arrive masked in snapshots; of their last four the portal keeps only a
    keyed fingerprint (`national_id_last4_fp`), which ID&V compares with the fingerprint of
    what the customer types, so no national id digits are stored or compared in clear."""

    tenant_id: str
    contact_id: str
    version: int
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    postcode: str | None
    national_id_last4_fp: str | None
    accounts: tuple[AccountView, ...]
    group_ids: tuple[str, ...]
    deleted: bool = False
    plan_offer: PlanOffer | None = None

    def account(self, account_id: str) -> AccountView | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    @classmethod
    def from_snapshot(
        cls,
        tenant_id: str,
        snapshot: ContactSnapshot,
        *,
        fingerprint: Callable[[str], str],
        deleted: bool = False,
    ) -> "Customer":
        data = snapshot.data
        masked = data.ssn or data.document
        return cls(
            tenant_id=tenant_id,
            contact_id=snapshot.id,
            version=snapshot.version,
            first_name=data.first_name,
            last_name=data.last_name,
            date_of_birth=data.date_of_birth,
            postcode=data.postcode,
            national_id_last4_fp=fingerprint(masked.last4) if masked is not None else None,
            accounts=tuple(
                AccountView(
                    id=account_id(snapshot.id, a.number),
                    number=a.number,
                    balance=a.balance,
                    currency=a.currency,
                )
                for a in data.accounts
            ),
            group_ids=snapshot.group_ids,
            deleted=deleted,
            plan_offer=plan_offer({e.name: e.value for e in data.extra}),
        )
