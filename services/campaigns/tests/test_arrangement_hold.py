"""A contact held by an active promise or plan is skipped with the reason `arrangement`."""

from dataclasses import replace
from datetime import UTC, date, datetime

from listflow.campaigns.domain.model import ContactView, Decision, Rules, decide
from listflow.schemas.campaigns import SuppressionReason
from listflow.schemas.values import Consents, ContactData

NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def _contact(held_until: date | None) -> ContactView:
    return ContactView(
        id="c1",
        tenant_id="t1",
        version=1,
        data=ContactData(
            emails=("ana@example.com",),
            consents=Consents(email=True),
            time_zone="Europe/Madrid",
        ),
        group_ids=(),
        upload_ids=(),
        updated_at=NOON,
        held_until=held_until,
    )


def _decide(contact: ContactView) -> Decision:
    return decide(
        contact=contact,
        channel="email",
        suppressed=None,
        sent_recently=0,
        needs_link=False,
        has_link=False,
        now=NOON,
        rules=Rules(),
    )


def test_a_held_contact_is_skipped_as_arrangement_until_its_day_ends() -> None:
    held = _contact(date(2026, 3, 2))
    assert _decide(held).suppress is SuppressionReason.ARRANGEMENT
    assert not _decide(held).send
    assert _decide(replace(held, held_until=date(2026, 4, 1))).suppress is (
        SuppressionReason.ARRANGEMENT
    )


def test_a_lapsed_or_lifted_hold_sends() -> None:
    assert _decide(_contact(date(2026, 3, 1))).send
    assert _decide(_contact(None)).send


def test_an_unsubscribe_outranks_the_hold() -> None:
    decision = decide(
        contact=_contact(date(2026, 3, 9)),
        channel="email",
        suppressed=SuppressionReason.UNSUBSCRIBED,
        sent_recently=0,
        needs_link=False,
        has_link=False,
        now=NOON,
        rules=Rules(),
    )
    assert decision.suppress is SuppressionReason.UNSUBSCRIBED
