"""The campaign file (issue 12 item 6; Self-Service Studio's seed): one row per targeted
customer with the ways to reach them and their own portal URL, for a print shop, a
dialer or another channel. No national id: the read model keeps none, and the row is
made from named fields only, never from the contact's extra columns."""

from listflow.campaigns.domain.model import ContactView

HEADER = ["contact_id", "customer_id", "name", "phone", "email", "portal_url"]


def file_row(contact: ContactView, portal_url: str | None) -> list[str]:
    """The contact's row: its first phone (E.164) and email, '' where it has none."""
    d = contact.data
    name = " ".join(p for p in (d.first_name, d.last_name) if p) or d.company_name or ""
    return [
        contact.id,
        d.customer_id or "",
        name,
        d.phones[0].e164 if d.phones else "",
        d.emails[0] if d.emails else "",
        portal_url or "",
    ]
