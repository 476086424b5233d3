"""A local SMS provider, shaped like the common messaging APIs, for make run and make test:
send a message (to, from, body, a client reference, a status callback URL) and get its id;
the simulator then calls back with the statuses queued, sent and delivered, each callback
signed with Standard Webhooks (listflow.kit.webhooks, as the payment simulator signs).

Magic numbers: +15005550001 is refused when sent (400, `invalid_destination`); +15005550002
is accepted and then fails (`carrier_rejected`); +15005550003 is accepted and then is
undelivered (`unreachable`); +15005550009 answers only after 30 seconds (a provider that
hangs, for timeouts). Every other E.164 number is delivered.

A customer's reply is injected with POST /test/inbound: the simulator calls the inbound
webhook (the URL configured on the number: `--inbound-url` with the tenant in it) signed
the same way; when the webhook answers with a `reply`, that text goes back to the customer
as a message from the number written to. GET /test/messages lists what the simulator got
and sent, with the callbacks made and what they were answered. State lives in memory.
"""

import argparse
import asyncio
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from listflow.kit.webhooks import Webhook, signed_headers

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
REFUSED = {"+15005550001": "invalid_destination"}
OUTCOMES = {
    "+15005550002": ("failed", "carrier_rejected"),
    "+15005550003": ("undelivered", "unreachable"),
}
HANGS = "+15005550009"
STEP_S = 0.05  # between two statuses of one message


@dataclass
class Callback:
    status: str
    answered: int | None  # the HTTP status the webhook answered, None when unreachable


@dataclass
class Sms:
    id: str
    to: str
    sender: str
    body: str
    client_reference: str | None
    status_callback: str | None
    status: str = "queued"
    error: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    callbacks: list[Callback] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "to": self.to,
            "from": self.sender,
            "body": self.body,
            "client_reference": self.client_reference,
            "status": self.status,
            "error": self.error,
            "created_at": self.created_at,
            "callbacks": [asdict(c) for c in self.callbacks],
        }


def create_simulator(*, api_key: str, inbound_url: str, secret: str) -> FastAPI:
    app = FastAPI(title="Listflow SMS provider simulator")
    messages: dict[str, Sms] = {}
    inbound: list[dict[str, Any]] = []
    signer = Webhook(secret)
    tasks: set[asyncio.Task[None]] = set()

    def authorised(authorization: str | None) -> None:
        if authorization != f"Bearer {api_key}":
            raise HTTPException(401, "bad api key")

    async def call(url: str, payload: dict[str, Any]) -> httpx.Response | None:
        body = orjson.dumps(payload).decode()
        headers = signed_headers(signer, payload["id"], body)
        # Providers retry until a 2xx; the simulator tries a few times, then gives up.
        async with httpx.AsyncClient(timeout=10) as client:
            response = None
            for _ in range(3):
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.TransportError:
                    continue
                if response.is_success or response.status_code < 500:
                    return response
            return response

    async def notify(sms: Sms, status: str, error: str | None = None) -> None:
        sms.status, sms.error = status, error
        event = {
            "id": f"evt_{secrets.token_hex(8)}",
            "type": "message.status",
            "created": datetime.now(UTC).isoformat(),
            "data": {
                "id": sms.id,
                "client_reference": sms.client_reference,
                "to": sms.to,
                "status": status,
                "error": error,
            },
        }
        sms.events.append(event)
        await deliver(sms, event)

    async def deliver(sms: Sms, event: dict[str, Any]) -> None:
        if sms.status_callback is None:
            return
        response = await call(sms.status_callback, event)
        sms.callbacks.append(
            Callback(event["data"]["status"], response.status_code if response else None)
        )

    async def lifecycle(sms: Sms) -> None:
        final, error = OUTCOMES.get(sms.to, ("delivered", None))
        for status in ("queued", "sent"):
            await notify(sms, status)
            await asyncio.sleep(STEP_S)
        await notify(sms, final, error)

    def accept(sms: Sms) -> None:
        messages[sms.id] = sms
        task = asyncio.create_task(lifecycle(sms))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def refusal(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    @app.post("/v1/messages", status_code=201)
    async def send(request: Request, authorization: str | None = Header(default=None)) -> Any:
        authorised(authorization)
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return refusal(400, "invalid_request", "the body is no JSON")
        if not isinstance(body, dict):
            return refusal(400, "invalid_request", "the body is no JSON object")
        to, text = body.get("to"), body.get("body")
        if not isinstance(to, str) or not E164.match(to):
            return refusal(400, "invalid_number", "to must be an E.164 number")
        if not isinstance(text, str) or not text:
            return refusal(400, "invalid_request", "body must be a non-empty text")
        if to in REFUSED:
            return refusal(400, REFUSED[to], "the destination cannot receive messages")
        if to == HANGS:
            await asyncio.sleep(30)
        sms = Sms(
            id=f"SM{secrets.token_hex(12)}",
            to=to,
            sender=str(body.get("from") or ""),
            body=text,
            client_reference=body.get("client_reference"),
            status_callback=body.get("status_callback"),
        )
        accept(sms)
        return {"id": sms.id, "status": "queued", "client_reference": sms.client_reference}

    @app.post("/test/inbound")
    async def inject(request: Request) -> Any:
        """A customer's reply: {from, to, body, tenant}; the webhook is called signed."""
        body = await request.json()
        tenant = str(body["tenant"])
        customer, number = str(body["from"]), str(body["to"])
        event: dict[str, Any] = {
            "id": f"evt_{secrets.token_hex(8)}",
            "type": "message.inbound",
            "created": datetime.now(UTC).isoformat(),
            "data": {
                "id": f"MO{secrets.token_hex(12)}",
                "from": customer,
                "to": number,
                "body": str(body["body"]),
            },
        }
        inbound.append(event)
        response = await call(inbound_url.format(tenant=tenant), event)
        reply = None
        if response is not None and response.is_success:
            reply = response.json().get("reply")
            if reply:
                sms = Sms(
                    id=f"SM{secrets.token_hex(12)}",
                    to=customer,
                    sender=number,
                    body=str(reply),
                    client_reference=None,
                    status_callback=None,
                )
                accept(sms)
        return {"answered": response.status_code if response else None, "reply": reply}

    @app.get("/test/messages")
    async def listing(to: str | None = None) -> dict[str, Any]:
        """What was sent through the simulator (replies included), oldest first."""
        items = [m.public() for m in messages.values() if to is None or m.to == to]
        return {"items": items, "inbound": len(inbound)}

    @app.post("/test/messages/{sms_id}/resend")
    async def resend(sms_id: str) -> dict[str, int]:
        """Every status callback of the message again, newest first (a provider's retries
        and reordering)."""
        sms = messages.get(sms_id)
        if sms is None:
            raise HTTPException(404, "no such message")
        for event in reversed(sms.events):
            await deliver(sms, event)
        return {"resent": len(sms.events)}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--inbound-url", required=True, help="with {tenant} in it")
    args = parser.parse_args()
    # Secrets from the environment, not the command line (which every `ps` shows).
    app = create_simulator(
        api_key=os.environ["LISTFLOW_SMS_PROVIDER_KEY"],
        inbound_url=args.inbound_url,
        secret=os.environ["LISTFLOW_SMS_WEBHOOK_SECRET"],
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
