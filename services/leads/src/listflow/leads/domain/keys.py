"""The keys leads and queue entries are found by, all in one indexed multikey field
(`match_keys`), so that every lookup is one equality query."""

from collections.abc import Collection
from datetime import date
from typing import Any


def phone_key(tenant_id: str, e164: str) -> str:
    # Same shape as contacts' match keys, so the devstack's GIN index on `match_keys` serves it.
    return f"{tenant_id}|phone|{e164}"


def list_key(tenant_id: str, list_id: str) -> str:
    """A lead's membership of its list, found by the same indexed `match_keys` lookup."""
    return f"{tenant_id}|list|{list_id}"


# Queue entries are found by the keys below, all in one indexed multikey field, so that
# every lookup is one equality query (GIN-served on FerretDB, a multikey index on MongoDB)
# rather than a filter on plain fields, which FerretDB answers by reading the collection.
def entry_lead_key(lead_id: str) -> str:
    return f"q|lead|{lead_id}"


def entry_list_key(list_id: str) -> str:
    return f"q|list|{list_id}"


def entry_assignment_key(list_id: str, campaign_id: str) -> str:
    return f"q|lc|{list_id}|{campaign_id}"


def entry_state_key(state: str) -> str:
    return f"q|state|{state}"


def entry_keys(entry: dict[str, Any], state: str) -> list[str]:
    return [
        entry_lead_key(entry["lead_id"]),
        entry_list_key(entry["list_id"]),
        entry_assignment_key(entry["list_id"], entry["campaign_id"]),
        entry_state_key(state),
    ]


def hold_key(tenant_id: str, contact_id: str) -> str:
    """The `_id` of a held customer's document (one per contact)."""
    return f"{tenant_id}|{contact_id}"


def hold_document(
    tenant_id: str, contact_id: str, phones: Collection[str], until: date | None, version: int
) -> dict[str, Any]:
    """What leads keeps of a customer held by a promise or plan: its numbers, the day the hold
    lapses (ISO, so that strings compare as dates; None once lifted) and the snapshot's
    version (an older snapshot changes nothing)."""
    return {
        "_id": hold_key(tenant_id, contact_id),
        "tenant_id": tenant_id,
        "contact_id": contact_id,
        "phones": list(dict.fromkeys(phones)),
        "until": until.isoformat() if until is not None else None,
        "version": version,
    }
