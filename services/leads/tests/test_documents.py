"""Stored lists and campaigns: what the API cannot serve is refused on read, and the startup
repair turns it into what a new record would hold (issue 18)."""

import pytest
from listflow.leads.adapters.mongo_repository import (
    campaign_from_document,
    campaign_to_document,
    list_from_document,
    list_to_document,
    readable,
    repaired_campaign,
    repaired_list,
)
from listflow.leads.domain.model import Campaign, LeadList

GOOD_LIST = list_to_document(LeadList(id="l1", tenant_id="t", name="March"))
GOOD_CAMPAIGN = campaign_to_document(Campaign(id="c1", tenant_id="t", name="Calls"))


@pytest.mark.parametrize(
    "changes",
    [
        {"name": None},
        {"name": "  "},
        {"name": 5},
        {"time_zone": 3},
        {"owner": ["x"]},
        {"fields": [{"name": None}]},
        {"campaign_ids": [None]},
    ],
)
def test_an_unservable_list_is_skipped_then_repaired(changes: dict[str, object]) -> None:
    doc = {**GOOD_LIST, **changes}
    assert readable(list_from_document, doc, "lead_lists") is None
    fixed = list_from_document(repaired_list(doc))
    assert fixed.id == "l1"
    assert fixed.name.strip()


@pytest.mark.parametrize(
    "changes",
    [
        {"name": None},
        {"hours": {"start": "08:00", "end": "2x:00", "days": ["mon"]}},
        {"hours": {"start": "21:00", "end": "08:00", "days": ["mon"]}},
        {"hours": {"start": None, "end": "08:00", "days": ["mon"]}},
        {"hours": {"start": "08:00", "end": "21:00", "days": ["someday"]}},
        {"retry": {"max_attempts": 0, "gap_minutes": {}, "default_gap": 60}},
        {"retry": {"max_attempts": 3, "gap_minutes": {"busy": 10**12}, "default_gap": 60}},
        {"retry": {"max_attempts": 3, "gap_minutes": {}, "default_gap": "soon"}},
        {"priority": "high"},
    ],
)
def test_an_unservable_campaign_is_skipped_then_repaired(changes: dict[str, object]) -> None:
    doc = {**GOOD_CAMPAIGN, **changes}
    assert readable(campaign_from_document, doc, "campaigns") is None
    fixed = campaign_from_document(repaired_campaign(doc))
    assert fixed.id == "c1"
    assert fixed.hours.start < fixed.hours.end


def test_a_good_document_reads_unchanged() -> None:
    assert list_from_document(GOOD_LIST).name == "March"
    assert campaign_from_document(GOOD_CAMPAIGN).name == "Calls"
    assert repaired_list(GOOD_LIST) == GOOD_LIST
    assert repaired_campaign(GOOD_CAMPAIGN) == GOOD_CAMPAIGN
