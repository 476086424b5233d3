"""Which stored contact a row lands on, under the upload's policy."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from listflow.contacts.domain.model import Contact
from listflow.schemas.values import MatchPolicy, OnMultipleMatches, OnNoMatch, OnOneMatch


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    target: Contact | None = None
    reason: str | None = None


def decide(policy: MatchPolicy, matches: Sequence[Contact]) -> Decision:
    """Apply the no / one / several matches policy to the contacts found for a row's key."""
    if not matches:
        if policy.on_no_match is OnNoMatch.IMPORT:
            return Decision(Action.CREATE)
        return Decision(Action.SKIP, reason="no matching contact and the upload only updates")
    if len(matches) == 1:
        if policy.on_one_match is OnOneMatch.UPDATE:
            return Decision(Action.UPDATE, matches[0])
        return Decision(Action.SKIP, matches[0], "contact exists and the upload only imports new")
    ordered = sorted(matches, key=lambda c: (c.created_at, c.id))
    match policy.on_multiple_matches:
        case OnMultipleMatches.UPDATE_FIRST:
            return Decision(Action.UPDATE, ordered[0])
        case OnMultipleMatches.UPDATE_LAST:
            return Decision(Action.UPDATE, ordered[-1])
        case _:
            return Decision(Action.SKIP, reason=f"{len(matches)} contacts match this row")
