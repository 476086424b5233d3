"""Why a leads use case refuses a request, in the domain's words (kit/problems maps the kinds
to HTTP statuses, once)."""

from listflow.kit.errors import Conflict, NotFound


class ConcurrentUpdate(Exception):
    """Another writer changed a lead between our read and our write (the use case re-reads
    and applies again; not a refusal: the caller never sees it)."""


# How many times a use case reads and applies again after a `ConcurrentUpdate`.
WRITE_ATTEMPTS = 5


class ListNotFound(NotFound):
    def __init__(self, list_id: str) -> None:
        super().__init__("Not Found", f"No lead list {list_id} in this tenant.")


class CampaignNotFound(NotFound):
    def __init__(self, campaign_id: str) -> None:
        super().__init__("Not Found", f"No dialer campaign {campaign_id} in this tenant.")


class LeadNotFound(NotFound):
    def __init__(self, lead_id: str) -> None:
        super().__init__("Not Found", f"No lead {lead_id} in this tenant.")


class NameTaken(Conflict):
    """Another list (or campaign) of the tenant has this name: found by the check before the
    write, or by the unique index when a concurrent rename got there first."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__("Conflict", f"A {what} named {name!r} already exists.")
