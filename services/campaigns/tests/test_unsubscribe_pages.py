"""`/u/<token>` over the in-memory fakes (the real stack's run, with Mailpit, is in
tests/integration/test_unsubscribe.py): a bare or RFC 8058 POST and the GET unsubscribe at
once, each recording its source; repeats change nothing; the undo button needs this page's
form and cookie; forged tokens and bad paths get one plain page, never a 500."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from listflow.campaigns.adapters.memory_repository import InMemoryCampaignRepository
from listflow.campaigns.bootstrap import bootstrap, unsubscribe_key
from listflow.campaigns.config import Settings
from listflow.campaigns.domain.model import MessageState
from listflow.campaigns.domain.unsubscribe import make_token
from listflow.campaigns.entrypoints.main import create_app
from listflow.campaigns.ports import Message
from listflow.schemas.campaigns import SuppressionReason

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ADDRESS = "ana@example.com"


class Nothing:
    async def send(self, _: object) -> str:
        raise AssertionError("no message is sent by these pages")

    async def wait(self, limit_s: float) -> bool:
        return True


@pytest.fixture
async def setup() -> AsyncIterator[tuple[InMemoryCampaignRepository, httpx.AsyncClient, str]]:
    repo = InMemoryCampaignRepository()
    settings = Settings()
    container = bootstrap(
        settings,
        repository=repo,
        sms=Nothing(),  # type: ignore[arg-type]
        email=Nothing(),  # type: ignore[arg-type]
        barrier=Nothing(),
        clock=lambda: NOON,
    )
    m = Message("m1", "t1", "camp1", "ana", "email", MessageState.PENDING, NOON, NOON)
    await repo.claim_messages([m])
    assert await repo.transition(m, MessageState.SENT, from_states=[m.state], address=ADDRESS)
    token = make_token(unsubscribe_key(settings), "t1", "m1")
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaigns") as client:
        yield repo, client, token


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_a_bare_post_unsubscribes_at_once_and_a_repeat_changes_nothing(
    setup: tuple[InMemoryCampaignRepository, httpx.AsyncClient, str],
) -> None:
    repo, client, token = setup
    answer = await client.post(f"/u/{token}")
    assert answer.status_code == 200
    assert "You are unsubscribed" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    stored = await repo.get_suppression("t1", "email", ADDRESS)
    assert stored is not None
    assert (stored.reason, stored.by, stored.campaign_id) == (
        SuppressionReason.UNSUBSCRIBED,
        "email:one-click",
        "camp1",
    )
    again = await client.post(
        f"/u/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert again.status_code == 200
    opened = await client.get(f"/u/{token}")
    assert opened.status_code == 200
    changes = await repo.changes("t1", "email", ADDRESS)
    assert [(c.action, c.by) for c in changes] == [("suppressed", "email:one-click")]
    assert await repo.unsubscribes_of("t1", "camp1") == 1


async def test_opening_the_link_unsubscribes_and_undo_subscribes_again(
    setup: tuple[InMemoryCampaignRepository, httpx.AsyncClient, str],
) -> None:
    repo, client, token = setup
    opened = await client.get(f"/u/{token}", headers={"accept-language": "es-ES,es;q=0.9"})
    assert opened.status_code == 200
    assert "Ya no está suscrito" in opened.text
    assert '<html lang="es">' in opened.text
    assert await repo.suppression("t1", "email", ADDRESS) is SuppressionReason.UNSUBSCRIBED
    undone = await client.post(f"/u/{token}/undo", data={"csrf": _csrf(opened.text)})
    assert undone.status_code == 200, undone.text
    assert "You are subscribed again" in undone.text
    assert await repo.suppression("t1", "email", ADDRESS) is None
    changes = await repo.changes("t1", "email", ADDRESS)
    assert [(c.action, c.by) for c in changes] == [
        ("suppressed", "email:link"),
        ("lifted", "email:undo"),
    ]


async def test_undo_needs_this_pages_form_and_cookie(
    setup: tuple[InMemoryCampaignRepository, httpx.AsyncClient, str],
) -> None:
    repo, client, token = setup
    opened = await client.get(f"/u/{token}")
    csrf = _csrf(opened.text)
    # Another site's form: the SameSite cookie stays home, the field alone is refused.
    client.cookies.clear()
    assert (await client.post(f"/u/{token}/undo", data={"csrf": csrf})).status_code == 403
    opened = await client.get(f"/u/{token}")
    forged = await client.post(f"/u/{token}/undo", data={"csrf": csrf[:-2] + "xx"})
    assert forged.status_code == 403
    assert (await client.post(f"/u/{token}/undo")).status_code == 403
    assert await repo.suppression("t1", "email", ADDRESS) is SuppressionReason.UNSUBSCRIBED


async def test_undo_lifts_an_unsubscribe_only(
    setup: tuple[InMemoryCampaignRepository, httpx.AsyncClient, str],
) -> None:
    repo, client, token = setup
    await repo.suppress("t1", "email", ADDRESS, SuppressionReason.HARD_BOUNCE, NOON, by="api")
    opened = await client.get(f"/u/{token}")
    undone = await client.post(f"/u/{token}/undo", data={"csrf": _csrf(opened.text)})
    assert undone.status_code == 200
    assert await repo.suppression("t1", "email", ADDRESS) is SuppressionReason.HARD_BOUNCE


async def test_a_forged_tampered_or_unknown_link_gets_one_plain_page(
    setup: tuple[InMemoryCampaignRepository, httpx.AsyncClient, str],
) -> None:
    repo, client, token = setup
    unknown = make_token(unsubscribe_key(Settings()), "t1", "no-such-message")
    other_key = make_token(b"another key", "t1", "m1")
    tenant, _, signature = token.split(".")
    tampered = f"{tenant}.m2.{signature}"
    pages = set()
    for path in (
        f"/u/{unknown}",
        f"/u/{other_key}",
        f"/u/{tampered}",
        "/u/not-a-token",
        "/u/a.b.c",
        "/u/%00%ff",
        f"/u/{token}/more/segments",
    ):
        for method in ("GET", "POST"):
            answer = await client.request(method, path)
            assert answer.status_code in (404, 405), (method, path, answer.status_code)
            assert answer.headers["content-type"].startswith("text/html")
            pages.add(answer.text)
    assert len(pages) == 1 and "This link is not valid" in next(iter(pages))
    assert await repo.suppression("t1", "email", ADDRESS) is None
