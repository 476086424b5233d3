"""Match-key values, computed the same way by every service that matches customers."""

from listflow.schemas.values import ContactData, MatchKey


def normalize_identifier(raw: str) -> str:
    """Account numbers and similar ids: case and inner spaces do not tell two customers apart."""
    return "".join(raw.split()).upper()


def match_values(contact: ContactData, key: MatchKey) -> list[str]:
    """Every value under which `contact` can be found by `key` (already normalized)."""
    match key:
        case MatchKey.ACCOUNT_NUMBER:
            return [normalize_identifier(a.number) for a in contact.accounts if a.number.strip()]
        case MatchKey.PHONE:
            return [p.e164 for p in contact.phones]
        case MatchKey.EMAIL:
            return [e.lower() for e in contact.emails]
        case MatchKey.SSN:
            return [contact.ssn.hash] if contact.ssn else []
        case MatchKey.DOCUMENT_NUMBER:
            return [contact.document.hash] if contact.document else []
        case MatchKey.CUSTOMER_ID:
            return [normalize_identifier(contact.customer_id)] if contact.customer_id else []
        case MatchKey.EXTERNAL_ID:
            return [normalize_identifier(contact.external_id)] if contact.external_id else []


def match_value(contact: ContactData, key: MatchKey) -> str | None:
    """The value a row is matched (and partitioned) by: the first of `match_values`."""
    values = match_values(contact, key)
    return values[0] if values else None


# Iterating an Enum class is slow enough to show in a profile of a merge; a tuple is not.
_MATCH_KEYS = tuple(MatchKey)


def all_match_keys(contact: ContactData) -> list[tuple[MatchKey, str]]:
    return [(key, value) for key in _MATCH_KEYS for value in match_values(contact, key)]
