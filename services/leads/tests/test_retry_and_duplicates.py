"""Retry rules and duplicate scope decisions (pure)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from listflow.leads.domain.duplicates import Action, decide
from listflow.leads.domain.model import Lead, merge_data, queue_id
from listflow.leads.domain.retry import RetryRules, next_attempt
from listflow.schemas.leads import CustomValue, DialResult, DuplicatePolicy, LeadData, LeadStatus
from listflow.schemas.values import Phone

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RULES = RetryRules(max_attempts=3, gap_minutes={"busy": 10, "no_answer": 60}, default_gap=30)


def test_answered_and_dnc_are_final() -> None:
    assert next_attempt(RULES, DialResult.ANSWERED, 1, T0).at is None
    assert next_attempt(RULES, DialResult.DNC, 1, T0).reason == "do not call"


def test_gap_per_outcome_and_default() -> None:
    assert next_attempt(RULES, DialResult.BUSY, 1, T0).at == T0 + timedelta(minutes=10)
    assert next_attempt(RULES, DialResult.NO_ANSWER, 2, T0).at == T0 + timedelta(minutes=60)
    assert next_attempt(RULES, DialResult.VOICEMAIL, 1, T0).at == T0 + timedelta(minutes=30)


def test_max_attempts_stops_retries_but_not_an_asked_for_callback() -> None:
    assert next_attempt(RULES, DialResult.BUSY, 3, T0).at is None
    later = T0 + timedelta(days=1)
    assert next_attempt(RULES, DialResult.CALLBACK, 3, T0, later).at == later


def _lead(lead_id: str, list_id: str, minutes: int, phone: str = "+14155550100") -> Lead:
    return Lead.new(
        id=lead_id,
        tenant_id="t",
        list_id=list_id,
        data=LeadData(name=lead_id, phones=(Phone(e164=phone),)),
        now=T0 + timedelta(minutes=minutes),
        source=f"u:{minutes}",
    )


CAMPAIGNS = {"A": frozenset({"c1"}), "B": frozenset({"c1"}), "C": frozenset({"c2"})}


@pytest.mark.parametrize(
    ("scope", "candidates", "expected"),
    [
        ("none", ["B"], Action.CREATE),
        ("list", ["A"], Action.CREATE),
        ("list", ["B"], Action.SKIP),
        ("campaign", ["A"], Action.SKIP),  # A shares campaign c1 with B
        ("campaign", ["C"], Action.CREATE),
        ("tenant", ["C"], Action.SKIP),
    ],
)
def test_scopes(scope: str, candidates: list[str], expected: Action) -> None:
    leads = [_lead(f"x{i}", lst, i) for i, lst in enumerate(candidates)]
    policy = DuplicatePolicy(scope=scope, action="skip")  # type: ignore[arg-type]
    assert decide(policy, "B", leads, CAMPAIGNS).action is expected


def test_the_first_created_duplicate_wins_and_migrate_into_own_list_is_update() -> None:
    old, new = _lead("old", "A", 0), _lead("new", "B", 5)
    migrate = DuplicatePolicy(scope="tenant", action="migrate")
    decision = decide(migrate, "B", [new, old], CAMPAIGNS)
    assert (decision.action, decision.target) == (Action.MIGRATE, old)
    assert decide(migrate, "A", [old], CAMPAIGNS).action is Action.UPDATE
    update = DuplicatePolicy(scope="campaign", action="update")
    assert decide(update, "B", [old], CAMPAIGNS).action is Action.UPDATE


def test_churn_resets_the_dial_state_and_starts_a_new_cycle() -> None:
    lead = _lead("x", "A", 0)
    dialed = replace(lead, attempts=2, status=LeadStatus.COMPLETED, last_result="busy")
    churned = dialed.churned(T0, "u:9")
    assert (churned.attempts, churned.status, churned.cycle) == (0, LeadStatus.NEW, 1)
    assert churned.version == dialed.version + 1
    assert queue_id("l", "c", 1, churned.cycle, 1) != queue_id("l", "c", 1, dialed.cycle, 1)


def test_an_update_keeps_what_the_row_leaves_blank() -> None:
    old = LeadData(
        name="Ana",
        phones=(Phone(e164="+1"),),
        email="a@x.test",
        custom=(CustomValue(name="Amount", value=5.0), CustomValue(name="Ref", value="R")),
    )
    new = LeadData(name="Ana B", custom=(CustomValue(name="amount", value=7.0),))
    merged = merge_data(old, new)
    assert (merged.name, merged.email, merged.phones) == ("Ana B", "a@x.test", old.phones)
    assert {c.name.casefold(): c.value for c in merged.custom} == {"amount": 7.0, "ref": "R"}
