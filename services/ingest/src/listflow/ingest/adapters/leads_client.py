"""Resolves an upload's lead-list target over the leads service's HTTP API."""

import httpx
from listflow.ingest.domain.lead_rows import LeadListInfo
from listflow.kit.errors import Invalid, Unavailable, UpstreamFailed


class LeadListClient:
    """Asks leads for a list by id, or by name creating it, with the caller's own API key:
    ingest holds no credentials of its own, and tenancy stays the leads service's check.
    Refuses in the domain's words (listflow.kit.errors); libs/kit maps them to problems."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._transport = transport

    async def resolve(
        self, api_key: str | None, *, list_id: str | None, name: str | None
    ) -> LeadListInfo:
        if not api_key:
            raise Invalid("Unsupported target", "Lead list targets need the caller's API key.")
        body = {"id": list_id} if list_id else {"name": name}
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport
            ) as client:
                response = await client.post(
                    f"{self._base_url}/v1/lead-lists/resolve",
                    json=body,
                    headers={"X-API-Key": api_key},
                )
        except httpx.HTTPError as exc:
            raise Unavailable(
                "Leads unavailable", "The leads service did not answer; try again."
            ) from exc
        if response.status_code == 404:
            raise Invalid("Unknown lead list", f"No lead list {list_id} in this tenant.")
        if response.status_code != 200:
            raise UpstreamFailed(
                "Leads error", f"The leads service answered {response.status_code}."
            )
        return LeadListInfo.from_document(response.json())
