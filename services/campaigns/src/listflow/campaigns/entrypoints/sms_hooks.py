"""The SMS provider's webhooks. No API key: the Standard Webhooks signature (HMAC-SHA256
over id, timestamp and body, within 5 minutes) is the authentication, so a forged or stale
call is a 401 problem and changes nothing.

The tenant of a reply comes from the webhook URL (/hooks/sms/inbound/{tenant_id}): it is
what the provider is configured with for the tenant's number, and what the simulator calls.
A status callback names the ledger message (its client reference), which names the tenant.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from listflow.campaigns.entrypoints.deps import ContainerDep
from listflow.kit.logging import get_logger
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from listflow.kit.webhooks import WebhookRefused, verified_object
from pydantic import BaseModel, Field

_log = get_logger(__name__)
router = APIRouter(prefix="/hooks/sms", tags=["sms-webhooks"], responses=PROBLEM_RESPONSES)
TenantId = Annotated[str, Path(min_length=1, max_length=200, description="The tenant's id")]


class Received(BaseModel):
    received: bool = True
    moved: bool = Field(description="Whether the status moved the message (not a repeat)")


class Answered(BaseModel):
    received: bool = True
    reply: str | None = Field(description="The text to send back to the customer, if any")


async def _signed(request: Request, container: ContainerDep, hook: str) -> dict[str, Any]:
    body = await request.body()
    try:
        event = verified_object(container.sms_webhook, body, request.headers)
        data = event["data"]
        if not isinstance(data, dict):
            raise WebhookRefused("data is no object")
    except (WebhookRefused, KeyError) as exc:
        _log.warning("sms webhook refused", hook=hook, why=str(exc))
        raise Problem(401, "Unauthorized", "The webhook's signature does not hold.") from None
    return data


def _text(data: dict[str, Any], name: str, limit: int = 2000) -> str:
    value = data.get(name)
    if not isinstance(value, str) or len(value) > limit:
        raise Problem(422, "Invalid webhook", f"data.{name} must be a text.")
    return value


@router.post(
    "/status",
    response_model=Received,
    summary="A message's status (signed)",
)
async def status_callback(request: Request, container: ContainerDep) -> Received:
    """queued, sent, delivered, undelivered or failed for a message the service sent; a
    repeat or a late status is accepted and moves nothing."""
    data = await _signed(request, container, "status")
    error = data.get("error")
    moved = await container.sms_statuses.on_status(
        _text(data, "client_reference", 200),
        _text(data, "status", 40),
        _text(data, "id", 200),
        error[:200] if isinstance(error, str) else None,
    )
    return Received(moved=moved)


@router.post("/inbound/{tenant_id}", response_model=Answered, summary="A customer's reply (signed)")
async def inbound_message(
    request: Request, container: ContainerDep, tenant_id: TenantId
) -> Answered:
    """STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT suppresses the number for SMS; START
    or UNSTOP lifts it; HELP answers with the tenant's help text. `reply` is sent back."""
    data = await _signed(request, container, "inbound")
    if tenant_id not in container.settings.api_keys:
        raise Problem(404, "Not Found", "No such tenant.")
    reply = await container.sms_inbound.on_reply(
        tenant_id, _text(data, "id", 200), _text(data, "from", 40), _text(data, "body")
    )
    return Answered(reply=reply)
