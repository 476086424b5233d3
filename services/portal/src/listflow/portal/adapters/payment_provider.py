"""The card provider over HTTP, shaped like the common hosted-checkout APIs: create an
intent with an idempotency key, send the customer to the provider's page, learn the result
by a signed webhook (see `webhooks.py`). The local simulator in tools/devstack speaks it."""

from decimal import Decimal

import httpx
from listflow.portal.ports import Intent


class HttpPaymentProvider:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    async def create_intent(
        self,
        *,
        idempotency_key: str,
        amount: Decimal,
        currency: str,
        description: str,
        metadata: dict[str, str],
        return_url: str,
    ) -> Intent:
        response = await self._client.post(
            "/v1/payment_intents",
            headers={"Idempotency-Key": idempotency_key},
            json={
                # Minor units, as providers take them: no float ever carries money.
                "amount": int((amount * 100).to_integral_exact()),
                "currency": currency.lower(),
                "description": description,
                "metadata": metadata,
                "return_url": return_url,
            },
        )
        response.raise_for_status()
        return _intent(response.json())

    async def retrieve(self, intent_id: str) -> Intent:
        response = await self._client.get(f"/v1/payment_intents/{intent_id}")
        response.raise_for_status()
        return _intent(response.json())

    async def aclose(self) -> None:
        await self._client.aclose()


def _intent(body: dict[str, object]) -> Intent:
    error = body.get("last_payment_error")
    return Intent(
        id=str(body["id"]),
        status=str(body["status"]),
        hosted_url=str(body["hosted_url"]),
        failure_code=str(error["code"]) if isinstance(error, dict) else None,
    )
