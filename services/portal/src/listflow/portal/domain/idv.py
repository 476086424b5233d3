"""Identity checks (ID&V): do the facts a customer gave match the customer, and what a
failure does to the link's lock. Pure: no I/O library here."""

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from listflow.portal.domain.model import Customer, IdvFact
from listflow.schemas.normalize import DateOrder, parse_date

Outcome = Literal["passed", "failed", "locked", "throttled"]


def _same(given: str, stored: str | None) -> bool:
    # Constant time, so a timing difference says nothing about how much matched.
    return stored is not None and hmac.compare_digest(given.encode(), stored.encode())


def _digits(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isalnum()).upper()


def _postcode(raw: str) -> str:
    return "".join(raw.split()).upper()


def _birth_date(raw: str, order: DateOrder) -> date | None:
    try:
        return parse_date(raw, order)  # ISO 8601 always, else the page language's order
    except ValueError:
        return None


def facts_match(
    customer: Customer,
    facts: tuple[IdvFact, ...],
    answers: Mapping[str, str],
    *,
    fingerprint: Callable[[str], str],
    date_order: DateOrder,
) -> bool:
    """True only when every fact the tenant asks for is given and matches. Every fact is
    checked even after a mismatch: the answer takes as long whichever one was wrong."""
    results = [
        _fact_matches(customer, f, answers.get(f.value, ""), fingerprint, date_order) for f in facts
    ]
    return bool(results) and all(results)


def _fact_matches(
    customer: Customer,
    fact: IdvFact,
    raw: str,
    fingerprint: Callable[[str], str],
    date_order: DateOrder,
) -> bool:
    if not raw.strip():
        return False
    if fact is IdvFact.DATE_OF_BIRTH:
        given = _birth_date(raw, date_order)
        stored = customer.date_of_birth
        return (
            given is not None
            and stored is not None
            and _same(given.isoformat(), stored.isoformat())
        )
    if fact is IdvFact.POSTCODE:
        return customer.postcode is not None and _same(_postcode(raw), _postcode(customer.postcode))
    last4 = _digits(raw)[-4:]
    if len(last4) != 4:
        return False
    if fact is IdvFact.ACCOUNT_LAST4:
        matches = [_same(last4, _digits(a.number)[-4:]) for a in customer.accounts]
        return any(matches)
    # National id: only keyed fingerprints are compared, never digits.
    return _same(fingerprint(last4), customer.national_id_last4_fp)


@dataclass(frozen=True, slots=True)
class LockState:
    """A link's run of failed checks and, after too many, until when it is locked."""

    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def lock_after_failure(
    failures: int, *, max_attempts: int, lockout: timedelta, now: datetime
) -> datetime | None:
    """Until when the link is locked after its `failures`-th failure in a row (None: not)."""
    return now + lockout if failures >= max_attempts else None
