"""Match-key values, computed the same way by every service that matches customers."""

from collections.abc import Callable, Collection

from listflow.schemas.contact_fields import EMAIL_FIELDS, PHONE_FIELDS
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


# The key a contact is matched by when the caller names none, most specific first: an
# upload (by the fields its mapping maps) and a contact typed by hand (by the values it
# has) follow this one order. Document number and SSN come last: they identify a person
# surely but are often absent, and a file that maps neither of the first five but one of
# them is still matched by it (ingest used to fall back to external id there, which such a
# file lacks, so each import of it created every contact anew).
DEFAULT_MATCH_ORDER: tuple[MatchKey, ...] = (
    MatchKey.ACCOUNT_NUMBER,
    MatchKey.PHONE,
    MatchKey.EMAIL,
    MatchKey.CUSTOMER_ID,
    MatchKey.EXTERNAL_ID,
    MatchKey.DOCUMENT_NUMBER,
    MatchKey.SSN,
)


def default_match_key_of(contact: ContactData) -> MatchKey | None:
    """The first key of the default order the contact has a value for."""
    return next((key for key in DEFAULT_MATCH_ORDER if _VALUES_OF[key](contact)), None)


# The fields (of a file's mapping) that give each key its value.
MATCH_KEY_FIELDS: dict[MatchKey, tuple[str, ...]] = {
    MatchKey.ACCOUNT_NUMBER: ("account_number",),
    MatchKey.PHONE: PHONE_FIELDS,
    MatchKey.EMAIL: EMAIL_FIELDS,
    MatchKey.CUSTOMER_ID: ("customer_id",),
    MatchKey.EXTERNAL_ID: ("external_id",),
    MatchKey.DOCUMENT_NUMBER: ("document_number",),
    MatchKey.SSN: ("ssn",),
}


def default_match_key(mapping_fields: Collection[str]) -> MatchKey:
    """The key an upload is matched by when the operator chose none: the first of the
    default order its mapping maps a field of (external id when it maps none)."""
    for key in DEFAULT_MATCH_ORDER:
        if any(field in mapping_fields for field in MATCH_KEY_FIELDS[key]):
            return key
    return MatchKey.EXTERNAL_ID
