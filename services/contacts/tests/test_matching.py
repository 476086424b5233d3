from datetime import timedelta

import pytest
from listflow.contacts.domain.matching import Action, decide
from listflow.contacts.domain.model import Contact
from listflow.schemas.values import (
    ContactData,
    MatchPolicy,
    OnMultipleMatches,
    OnNoMatch,
    OnOneMatch,
)

from .conftest import NOW


def contact(cid: str, minutes: int) -> Contact:
    return Contact.new(
        id=cid,
        tenant_id="t",
        data=ContactData(),
        group_id=None,
        now=NOW + timedelta(minutes=minutes),
    )


@pytest.mark.parametrize(
    ("on_no_match", "expected"), [(OnNoMatch.IMPORT, Action.CREATE), (OnNoMatch.SKIP, Action.SKIP)]
)
def test_no_match(on_no_match: OnNoMatch, expected: Action) -> None:
    assert decide(MatchPolicy(on_no_match=on_no_match), []).action is expected


@pytest.mark.parametrize(
    ("on_one", "expected"), [(OnOneMatch.UPDATE, Action.UPDATE), (OnOneMatch.SKIP, Action.SKIP)]
)
def test_one_match(on_one: OnOneMatch, expected: Action) -> None:
    decision = decide(MatchPolicy(on_one_match=on_one), [contact("a", 0)])
    assert decision.action is expected
    assert decision.target is not None and decision.target.id == "a"


def test_several_matches_update_first_or_last_created_or_skip() -> None:
    matches = [contact("late", 5), contact("early", 1), contact("middle", 3)]
    first = decide(MatchPolicy(on_multiple_matches=OnMultipleMatches.UPDATE_FIRST), matches)
    last = decide(MatchPolicy(on_multiple_matches=OnMultipleMatches.UPDATE_LAST), matches)
    skip = decide(MatchPolicy(on_multiple_matches=OnMultipleMatches.SKIP), matches)
    assert first.target is not None and first.target.id == "early"
    assert last.target is not None and last.target.id == "late"
    assert skip.action is Action.SKIP and skip.reason == "3 contacts match this row"
