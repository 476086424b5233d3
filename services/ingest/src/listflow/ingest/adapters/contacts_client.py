"""The contacts service's HTTP API, as far as ingest needs it (match counts for previews)."""

import httpx
from listflow.ingest.domain.previews import MatchCounts
from listflow.ingest.ports import MAX_VALUES, ContactsUnavailable
from listflow.schemas.values import MatchKey


class ContactsClient:
    def __init__(
        self,
        base_url: str,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    async def match_counts(self, api_key: str, key: MatchKey, values: list[str]) -> MatchCounts:
        """How many rows find no, one or several stored contacts; at most MAX_VALUES values a call.

        The caller's own API key goes along, so contacts answers for that tenant only.
        """
        if not values:
            return MatchCounts()
        if len(values) > MAX_VALUES:
            raise ValueError(f"at most {MAX_VALUES} values per call")
        try:
            response = await self._client.post(
                "/v1/contacts/match-counts",
                json={"key": key.value, "values": values, "per_value": False},
                headers={"X-API-Key": api_key},
            )
        except httpx.HTTPError as exc:
            raise ContactsUnavailable(
                f"the contacts service did not answer ({type(exc).__name__})"
            ) from exc
        if response.status_code != 200:
            raise ContactsUnavailable(
                f"the contacts service answered {response.status_code} to a match count"
            )
        body = response.json()
        return MatchCounts(body["no_match"], body["one_match"], body["several_matches"])

    async def close(self) -> None:
        await self._client.aclose()
