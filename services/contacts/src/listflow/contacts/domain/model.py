"""The contact aggregate and its merge rules."""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from listflow.schemas.contact_fields import CONTACT_SCALARS
from listflow.schemas.events import ContactSnapshot, HoldReason
from listflow.schemas.values import (
    Account,
    ConsentChannel,
    ConsentRecord,
    Consents,
    ConsentSource,
    ContactData,
    ExtraField,
    MergeMode,
    Phone,
)

T = TypeVar("T")

# Scalar fields a row may set; collections have their own rules below.
_SCALARS = CONTACT_SCALARS


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


CHANNELS: tuple[ConsentChannel, ...] = ("email", "sms", "call")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Origin:
    """What a change comes from: an upload's row, an API request, or a merge of duplicates."""

    kind: ConsentSource
    upload_id: str | None = None
    row_number: int | None = None
    request_id: str | None = None

    @property
    def source(self) -> str:
        if self.kind is ConsentSource.UPLOAD:
            return f"{self.upload_id}:{self.row_number}"
        return f"{self.kind.value}:{self.request_id}"


def consent_records(
    before: Consents,
    after: Consents,
    existing: Sequence[ConsentRecord],
    origin: Origin,
    now: datetime,
) -> tuple[ConsentRecord, ...]:
    """The provenance per channel once `before` became `after`: a channel whose value changed
    is recorded as coming from `origin` at `now`; the others keep their record."""
    by_channel = {r.channel: r for r in existing}
    for channel in CHANNELS:
        value = getattr(after, channel)
        if value is not None and value != getattr(before, channel):
            by_channel[channel] = ConsentRecord(
                channel=channel,
                granted=value,
                source=origin.kind,
                upload_id=origin.upload_id,
                row_number=origin.row_number,
                at=now,
            )
    return tuple(by_channel[c] for c in CHANNELS if c in by_channel)


def name_words(data: ContactData) -> list[str]:
    """Words of the names, case- and accent-folded: what the `name` search matches."""
    text = " ".join(n for n in (data.first_name, data.last_name, data.company_name) if n)
    plain = (
        text
        if text.isascii()  # nothing to fold, and most names are: skip the walk per character
        else "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    )
    return list(dict.fromkeys(w.casefold() for w in _WORD.findall(plain)))


@dataclass(frozen=True, slots=True)
class Hold:
    """An arrangement (a promise to pay or a payment plan, by its id) that holds the contact
    out of collections until `until` (inclusive) or until it is lifted. A lifted hold is kept
    until its day has passed, so that a redelivered PromiseToPayMade or PaymentPlanAgreed
    does not hold the contact again."""

    id: str
    reason: HoldReason
    until: date
    # A plan's number of instalments and those paid (in any order: the customer may pick
    # which to pay); the plan, and the hold, end when every one is paid.
    instalments: int | None = None
    paid: tuple[int, ...] = ()
    lifted: bool = False


def held(holds: Iterable[Hold]) -> Hold | None:
    """The hold that lasts longest among those not lifted (what the snapshot shows)."""
    return max((h for h in holds if not h.lifted), key=lambda h: h.until, default=None)


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
    consent_sources: tuple[ConsentRecord, ...] = ()
    # Arrangements made in the portal (promises, plans) holding it out of collections.
    holds: tuple[Hold, ...] = ()
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
        origin: Origin | None = None,
        group_ids: Sequence[str] = (),
    ) -> "Contact":
        origin = origin or Origin(ConsentSource.UPLOAD)
        return cls(
            id=id,
            tenant_id=tenant_id,
            data=data,
            created_at=now,
            updated_at=now,
            created_from=created_from,
            last_source=created_from,
            group_ids=_union(group_ids, (group_id,) if group_id else ()),
            consent_sources=consent_records(Consents(), data.consents, (), origin, now),
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
        origin: Origin | None = None,
        group_ids: Sequence[str] = (),
    ) -> "Contact":
        """This contact with a row applied; `changed` says whether anything differs."""
        data = merge_data(self.data, incoming, mode)
        groups = _union(self.group_ids, (*group_ids, *((group_id,) if group_id else ())))
        return self._changed_to(data, groups, now, source, origin)

    def edited(
        self, data: ContactData, group_ids: Sequence[str], *, now: datetime, origin: Origin
    ) -> "Contact":
        """This contact with fields set by hand (a PATCH): what is given replaces what was."""
        return self._changed_to(data, tuple(dict.fromkeys(group_ids)), now, origin.source, origin)

    def without(
        self, *, group_id: str | None = None, tag: str | None = None, now: datetime
    ) -> "Contact":
        """This contact taken out of a group or stripped of a tag (the group or tag is gone)."""
        groups = tuple(g for g in self.group_ids if g != group_id)
        tags = tuple(t for t in self.data.tags if tag is None or t.casefold() != tag.casefold())
        data = self.data.model_copy(update={"tags": tags})
        return self._changed_to(data, groups, now, self.last_source, None)

    def absorbed(
        self, duplicates: Sequence["Contact"], mode: MergeMode, *, now: datetime, request_id: str
    ) -> "Contact":
        """This contact with duplicates folded in (oldest first): their phones, emails,
        accounts, tags, groups and extra columns join; scalars follow `mode`, so
        fill_blanks keeps this contact's values and only fills what it lacks."""
        data = self.data
        groups = self.group_ids
        records = {r.channel: r for r in self.consent_sources}
        for dup in sorted(duplicates, key=lambda c: (c.created_at, c.id)):
            merged = merge_data(data, dup.data, mode)
            for channel in CHANNELS:
                if getattr(merged.consents, channel) != getattr(data.consents, channel):
                    carried = next((r for r in dup.consent_sources if r.channel == channel), None)
                    records[channel] = carried or ConsentRecord(
                        channel=channel,
                        granted=getattr(merged.consents, channel),
                        source=ConsentSource.MERGE,
                        at=now,
                    )
            data = merged
            groups = _union(groups, dup.group_ids)
        return replace(
            self,
            data=data,
            group_ids=groups,
            consent_sources=tuple(records[c] for c in CHANNELS if c in records),
            version=self.version + 1,
            updated_at=now,
            last_source=Origin(ConsentSource.MERGE, request_id=request_id).source,
            changed=True,
        )

    def _changed_to(
        self,
        data: ContactData,
        groups: tuple[str, ...],
        now: datetime,
        source: str | None,
        origin: Origin | None,
    ) -> "Contact":
        if data == self.data and groups == self.group_ids:
            return self
        consent_sources = consent_records(
            self.data.consents,
            data.consents,
            self.consent_sources,
            origin or Origin(ConsentSource.UPLOAD),
            now,
        )
        return replace(
            self,
            data=data,
            group_ids=groups,
            consent_sources=consent_sources,
            version=self.version + 1,
            updated_at=now,
            last_source=source,
            changed=True,
        )

    def search_terms(self) -> list[tuple[str, str]]:
        """(kind, value) pairs the list filters look up: tags, groups and name words."""
        return [
            *(("tag", t.casefold()) for t in self.data.tags),
            *(("group", g) for g in self.group_ids),
            *(("name", w) for w in name_words(self.data)),
        ]

    def snapshot(self) -> ContactSnapshot:
        """What downstream teams see: national ids masked."""
        # Built from parts already validated (this contact's own fields): no second pass.
        hold = held(self.holds)
        return ContactSnapshot.model_construct(
            id=self.id,
            version=self.version,
            data=ContactSnapshot.masked_data(self.data),
            group_ids=self.group_ids,
            created_at=self.created_at,
            updated_at=self.updated_at,
            consent_sources=self.consent_sources,
            held_until=hold.until if hold else None,
            hold_reason=hold.reason if hold else None,
        )

    def deletion_snapshot(self, now: datetime) -> ContactSnapshot:
        """The last state, one version past the stored one, so that it supersedes it."""
        return self.snapshot().model_copy(update={"version": self.version + 1, "updated_at": now})


def phones_e164(phones: Iterable[Phone]) -> list[str]:
    return [p.e164 for p in phones]
