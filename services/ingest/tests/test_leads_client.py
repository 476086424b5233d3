import httpx
import pytest
from listflow.ingest.adapters.leads_client import LeadListClient
from listflow.kit.errors import Invalid, Refused, Unavailable, UpstreamFailed
from listflow.kit.problems import refusal_status

LIST = {"id": "ll_1", "tenant_id": "t1", "name": "March", "fields": []}


def client(answer: httpx.MockTransport) -> LeadListClient:
    return LeadListClient("http://leads.test/", transport=answer)


async def test_a_list_is_resolved_with_the_callers_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=LIST)

    info = await client(httpx.MockTransport(answer)).resolve("lf_key", list_id=None, name="March")
    assert (info.id, info.name) == ("ll_1", "March")
    assert seen[0].url == "http://leads.test/v1/lead-lists/resolve"
    assert seen[0].headers["X-API-Key"] == "lf_key"


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


@pytest.mark.parametrize(
    ("api_key", "transport", "kind", "status"),
    [
        (None, httpx.MockTransport(lambda _: httpx.Response(200, json=LIST)), Invalid, 422),
        ("k", httpx.MockTransport(lambda _: httpx.Response(404)), Invalid, 422),
        ("k", httpx.MockTransport(refuse), Unavailable, 503),
        ("k", httpx.MockTransport(lambda _: httpx.Response(500)), UpstreamFailed, 502),
    ],
)
async def test_refusals_are_domain_errors_that_kit_maps_to_a_status(
    api_key: str | None, transport: httpx.MockTransport, kind: type[Refused], status: int
) -> None:
    with pytest.raises(kind) as raised:
        await client(transport).resolve(api_key, list_id="ll_9", name=None)
    assert refusal_status(raised.value) == status
