import json

import httpx
import pytest
from listflow.ingest.adapters.contacts_client import (
    ContactsClient,
    ContactsUnavailable,
    MatchCounts,
)
from listflow.ingest.ports import MAX_VALUES
from listflow.schemas.values import MatchKey


def client(handler: httpx.MockTransport) -> ContactsClient:
    return ContactsClient("http://contacts.test/", transport=handler)


async def test_counts_are_asked_with_the_callers_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "key": "phone",
                "no_match": 2,
                "one_match": 1,
                "several_matches": 0,
                "counts": {},
            },
        )

    contacts = client(httpx.MockTransport(answer))
    counts = await contacts.match_counts("lf_key", MatchKey.PHONE, ["+1", "+2", "+3"])
    assert counts == MatchCounts(2, 1, 0)
    assert seen[0].url == "http://contacts.test/v1/contacts/match-counts"
    assert seen[0].headers["X-API-Key"] == "lf_key"
    # Only the totals are wanted, not a count per value.
    assert json.loads(seen[0].content) == {
        "key": "phone",
        "values": ["+1", "+2", "+3"],
        "per_value": False,
    }
    assert await contacts.match_counts("lf_key", MatchKey.PHONE, []) == MatchCounts()
    assert len(seen) == 1
    with pytest.raises(ValueError, match=str(MAX_VALUES)):
        await contacts.match_counts("lf_key", MatchKey.PHONE, ["x"] * (MAX_VALUES + 1))
    await contacts.close()


async def test_an_error_or_no_answer_is_contacts_unavailable() -> None:
    failing = client(httpx.MockTransport(lambda _: httpx.Response(503)))
    with pytest.raises(ContactsUnavailable, match="503"):
        await failing.match_counts("k", MatchKey.EMAIL, ["a@example.com"])

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    down = client(httpx.MockTransport(refuse))
    with pytest.raises(ContactsUnavailable, match="did not answer"):
        await down.match_counts("k", MatchKey.EMAIL, ["a@example.com"])
