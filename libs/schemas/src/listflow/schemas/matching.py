"""Match-key values, computed the same way by every service that matches customers."""

from collections.abc import Callable

from listflow.schemas.values import ContactData, MatchKey


def normalize_identifier(raw: str) -> str:
    """Account numbers and similar ids: case and inner spaces do not tell two customers apart."""
    return "".join(raw.split()).upper()


def _accounts(contact: ContactData) -> list[str]:
    return [normalize_identifier(a.number) for a in contact.accounts if a.number.strip()]


def _customer_id(contact: ContactData) -> list[str]:
    return [normalize_identifier(contact.customer_id)] if contact.customer_id else []


def _document(contact: ContactData) -> list[str]:
    return [contact.document.hash] if contact.document else []


def _phones(contact: ContactData) -> list[str]:
    return [p.e164 for p in contact.phones]


def _emails(contact: ContactData) -> list[str]:
    return [e.lower() for e in contact.emails]


def _ssn(contact: ContactData) -> list[str]:
    return [contact.ssn.hash] if contact.ssn else []


def _external_id(contact: ContactData) -> list[str]:
    return [normalize_identifier(contact.external_id)] if contact.external_id else []


# In the order of MatchKey. A table rather than a `match` on the key: comparing enum members
# one case after another showed in the profile of a merge, which asks for every key of every
# contact several times.
_VALUES: tuple[tuple[MatchKey, Callable[[ContactData], list[str]]], ...] = (
    (MatchKey.ACCOUNT_NUMBER, _accounts),
    (MatchKey.CUSTOMER_ID, _customer_id),
    (MatchKey.DOCUMENT_NUMBER, _document),
    (MatchKey.PHONE, _phones),
    (MatchKey.EMAIL, _emails),
    (MatchKey.SSN, _ssn),
    (MatchKey.EXTERNAL_ID, _external_id),
)
_VALUES_OF = dict(_VALUES)


def match_values(contact: ContactData, key: MatchKey) -> list[str]:
    """Every value under which `contact` can be found by `key` (already normalized)."""
    return _VALUES_OF[key](contact)


def match_value(contact: ContactData, key: MatchKey) -> str | None:
    """The value a row is matched (and partitioned) by: the first of `match_values`."""
    values = match_values(contact, key)
    return values[0] if values else None


def all_match_keys(contact: ContactData) -> list[tuple[MatchKey, str]]:
    return [(key, value) for key, values_of in _VALUES for value in values_of(contact)]
