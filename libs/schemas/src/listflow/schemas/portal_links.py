"""Portal access links: the contract between the portal (which issues them) and campaigns
(which puts each customer's `portal_url` into messages and campaign files).

Published on `portal.links.v1`, keyed by contact id. The URL carries the token, so these
events are the one place a token travels: consumers keep the URL in their read model and
never log it. A later event for the same contact replaces the earlier one (highest
`issued_at` wins); a revocation names the link it ends. Registered in `events.EVENT_TYPES`
when this module is imported.
"""

from datetime import datetime
from typing import ClassVar

from listflow.schemas.events import EVENT_TYPES, Event
from pydantic import Field


class AccessLinkIssued(Event):
    """A customer has a new personal link; it replaces any earlier one of that contact."""

    ce_type: ClassVar[str] = "listflow.portal.AccessLinkIssued"
    link_id: str = Field(description="Stable id of this link (not the token)")
    contact_id: str
    url: str = Field(description="The customer's own page, https://<portal>/p/<token>")
    issued_at: datetime
    expires_at: datetime
    reason: str = Field(
        default="list_ready",
        description="Why it was issued: list_ready, contact_added, on_demand or reissue",
    )


class AccessLinkRevoked(Event):
    """The link no longer opens the portal; campaigns must not send it again."""

    ce_type: ClassVar[str] = "listflow.portal.AccessLinkRevoked"
    link_id: str
    contact_id: str
    revoked_at: datetime


EVENT_TYPES.update({model.ce_type: model for model in (AccessLinkIssued, AccessLinkRevoked)})
