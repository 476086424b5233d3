"""The contact aggregate and its merge rules."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from listflow.schemas.events import ContactSnapshot
from listflow.schemas.values import (
    Account,
    Consents,
    ContactData,
    ExtraField,
    MergeMode,
    Phone,
)

T = TypeVar("T")

# Scalar fields a row may set; collections have their own rules below.
_SCALARS = (
    "first_name",
    "last_name",
    "company_name",
    "customer_id",
    "external_id",
    "document_type",
    "document",
    "ssn",
    "date_of_birth",
    "address",
    "city",
    "state",
    "postcode",
    "country",
    "time_zone",
)


def _union(existing: Iterable[T], incoming: Iterable[T], key: Any = None) -> tuple[T, ...]:
    """Existing items in their order, then incoming ones not already present."""
    keyf = key or (lambda item: item)
    seen = {keyf(item) for item in existing}
    out = list(existing)
    for item in incoming:
        k = keyf(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return tuple(out)


def _pick(stored: T | None, incoming: T | None, mode: MergeMode) -> T | None:
    # A blank cell never erases what is stored, in either mode.
    if incoming is None:
        return stored
    if mode is MergeMode.FILL_BLANKS and stored is not None:
        return stored
    return incoming


def _merge_accounts(
    stored: tuple[Account, ...], incoming: tuple[Account, ...], mode: MergeMode
) -> tuple[Account, ...]:
    by_number = {a.number: a for a in stored}
    order = [a.number for a in stored]
    for account in incoming:
        current = by_number.get(account.number)
        if current is None:
            by_number[account.number] = account
            order.append(account.number)
        else:
            by_number[account.number] = Account(
                number=account.number,
                balance=_pick(current.balance, account.balance, mode),
                currency=_pick(current.currency, account.currency, mode),
                status=_pick(current.status, account.status, mode),
            )
    return tuple(by_number[n] for n in order)


def _merge_extra(
    stored: tuple[ExtraField, ...], incoming: tuple[ExtraField, ...], mode: MergeMode
) -> tuple[ExtraField, ...]:
    values = {f.name: f.value for f in stored}
    for f in incoming:
        values[f.name] = _pick(values.get(f.name), f.value, mode) or f.value
    return tuple(ExtraField(name=k, value=v) for k, v in values.items())


def merge_data(stored: ContactData, incoming: ContactData, mode: MergeMode) -> ContactData:
    """What a stored contact becomes when a row for it is applied."""
    updates: dict[str, Any] = {
        name: _pick(getattr(stored, name), getattr(incoming, name), mode) for name in _SCALARS
    }
    if incoming.customer_type != stored.customer_type and mode is MergeMode.OVERWRITE:
        updates["customer_type"] = incoming.customer_type
    updates["phones"] = _union(stored.phones, incoming.phones, key=lambda p: p.e164)
    updates["emails"] = _union(stored.emails, incoming.emails, key=str.lower)
    updates["tags"] = _union(stored.tags, incoming.tags, key=str.casefold)
    updates["accounts"] = _merge_accounts(stored.accounts, incoming.accounts, mode)
    updates["extra"] = _merge_extra(stored.extra, incoming.extra, mode)
    updates["consents"] = Consents(
        email=_pick(stored.consents.email, incoming.consents.email, mode),
        sms=_pick(stored.consents.sms, incoming.consents.sms, mode),
        call=_pick(stored.consents.call, incoming.consents.call, mode),
    )
    return stored.model_copy(update=updates)


@dataclass(frozen=True, slots=True)
class Contact:
    """One customer of one tenant. `version` grows with every change that alters it."""

    id: str
    tenant_id: str
    data: ContactData
    created_at: datetime
    updated_at: datetime
    created_from: str | None = None
    # The row ("upload:row") that last changed this contact: a replay of it re-announces it.
    last_source: str | None = None
    group_ids: tuple[str, ...] = ()
    version: int = 1
    changed: bool = field(default=False, compare=False)

    @classmethod
    def new(
        cls,
        *,
        id: str,
        tenant_id: str,
        data: ContactData,
        group_id: str | None,
        now: datetime,
        created_from: str | None = None,
    ) -> "Contact":
        return cls(
            id=id,
            tenant_id=tenant_id,
            data=data,
            created_at=now,
            updated_at=now,
            created_from=created_from,
            last_source=created_from,
            group_ids=(group_id,) if group_id else (),
            changed=True,
        )

    def merged(
        self,
        incoming: ContactData,
        mode: MergeMode,
        *,
        group_id: str | None,
        now: datetime,
        source: str | None,
    ) -> "Contact":
        """This contact with a row applied; `changed` says whether anything differs."""
        data = merge_data(self.data, incoming, mode)
        groups = _union(self.group_ids, (group_id,) if group_id else ())
        if data == self.data and groups == self.group_ids:
            return self
        return replace(
            self,
            data=data,
            group_ids=groups,
            version=self.version + 1,
            updated_at=now,
            last_source=source,
            changed=True,
        )

    def snapshot(self) -> ContactSnapshot:
        """What downstream teams see: national ids masked."""
        return ContactSnapshot(
            id=self.id,
            version=self.version,
            data=ContactSnapshot.masked_data(self.data),
            group_ids=self.group_ids,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def phones_e164(phones: Iterable[Phone]) -> list[str]:
    return [p.e164 for p in phones]
