"""The card provider's webhooks, at /p/webhooks/payments so that the one public base that
serves the customer pages (the gateway, the Ingress's /p route) reaches them too: signed
(Standard Webhooks: HMAC-SHA256 over id, timestamp and body, refused outside a 5-minute
tolerance), then handed to the payments use case."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from listflow.kit.logging import get_logger
from listflow.kit.webhooks import WebhookRefused, verified_object
from listflow.portal.entrypoints.deps import ContainerDep
from pydantic import BaseModel

_log = get_logger(__name__)
router = APIRouter(tags=["webhooks"])


class Received(BaseModel):
    received: bool


@router.post(
    "/p/webhooks/payments",
    response_model=Received,
    summary="The payment provider's signed events",
    responses={400: {"model": Received}},
)
async def payment_webhook(request: Request, container: ContainerDep) -> Any:
    """A payment intent's event; a bad signature or a stale timestamp is refused with 400.
    A repeat or a late event is accepted (200) and changes nothing."""
    body = await request.body()
    try:
        event = verified_object(container.webhook, body, request.headers)
        intent = event["data"]["object"]
        event_type = str(event["type"])
        if not isinstance(intent, dict):
            raise TypeError("data.object is no object")
    except (WebhookRefused, KeyError, TypeError):
        _log.warning("payment webhook refused")
        return JSONResponse({"received": False}, status_code=400)
    await container.selfservice.on_provider_event(event_type, intent)
    return Received(received=True)
