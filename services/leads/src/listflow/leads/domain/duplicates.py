"""Duplicate scopes and actions for rows bound for a lead list."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from listflow.leads.domain.model import Lead
from listflow.schemas.leads import DuplicatePolicy


class Action(StrEnum):
    CREATE = "create"
    SKIP = "skip"
    UPDATE = "update"
    MIGRATE = "migrate"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    target: Lead | None = None


def in_scope(
    policy: DuplicatePolicy,
    target_list_id: str,
    candidate: Lead,
    campaigns_of: Mapping[str, frozenset[str]],
) -> bool:
    """Whether a stored lead sharing a phone with the row counts as its duplicate."""
    match policy.scope:
        case "none":
            return False
        case "list":
            return candidate.list_id == target_list_id
        case "campaign":
            if candidate.list_id == target_list_id:
                return True
            mine = campaigns_of.get(target_list_id, frozenset())
            return bool(mine & campaigns_of.get(candidate.list_id, frozenset()))
        case "tenant":
            return True


def decide(
    policy: DuplicatePolicy,
    target_list_id: str,
    candidates: Sequence[Lead],
    campaigns_of: Mapping[str, frozenset[str]],
) -> Decision:
    """What to do with a row given the stored leads that share any of its phones.

    Among several duplicates the first created wins, so repeated uploads keep updating the
    same lead. Migrating a duplicate that is already in the target list is an update.
    """
    duplicates = sorted(
        (c for c in candidates if in_scope(policy, target_list_id, c, campaigns_of)),
        key=lambda lead: (lead.created_at, lead.id),
    )
    if not duplicates:
        return Decision(Action.CREATE)
    first = duplicates[0]
    if policy.action == "skip":
        return Decision(Action.SKIP, first)
    if policy.action == "migrate" and first.list_id != target_list_id:
        return Decision(Action.MIGRATE, first)
    return Decision(Action.UPDATE, first)
