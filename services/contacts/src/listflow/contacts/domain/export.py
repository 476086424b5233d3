"""A group exported as CSV that is safe to open in a spreadsheet."""

from listflow.contacts.domain.model import Contact
from listflow.kit.cells import safe_cell
from listflow.schemas.contact_fields import (
    CONSENT_FIELDS,
    ID_FIELDS,
    MAX_PHONES,
    NAME_FIELDS,
    PLACE_FIELDS,
)

HEADER = [
    "id",
    "customer_type",
    *NAME_FIELDS,
    *ID_FIELDS,
    "document_type",
    "document_last4",
    "ssn_last4",
    "date_of_birth",
    *(f"phone_{i}" for i in range(1, MAX_PHONES + 1)),
    "emails",
    *PLACE_FIELDS,
    "accounts",
    "tags",
    *CONSENT_FIELDS,
    "updated_at",
    "version",
]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def export_row(contact: Contact) -> list[str]:
    """One contact as a CSV row; national ids appear only as their last four digits."""
    d = contact.data
    phones = [p.e164 for p in d.phones[:MAX_PHONES]]
    phones += [""] * (MAX_PHONES - len(phones))
    accounts = "; ".join(
        " ".join(
            part for part in (a.number, _text(a.balance), a.currency or "", a.status or "") if part
        )
        for a in d.accounts
    )
    cells = [
        contact.id,
        d.customer_type,
        d.first_name,
        d.last_name,
        d.company_name,
        d.customer_id,
        d.external_id,
        d.document_type,
        d.document.last4 if d.document else None,
        d.ssn.last4 if d.ssn else None,
        d.date_of_birth.isoformat() if d.date_of_birth else None,
        *phones,
        "; ".join(d.emails),
        d.address,
        d.city,
        d.state,
        d.postcode,
        d.country,
        d.time_zone,
        accounts,
        "; ".join(d.tags),
        d.consents.email,
        d.consents.sms,
        d.consents.call,
        contact.updated_at.isoformat(),
        contact.version,
    ]
    return [safe_cell(_text(c)) for c in cells]
