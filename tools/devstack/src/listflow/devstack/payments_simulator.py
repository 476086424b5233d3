"""A local card-payment provider, shaped like the common hosted-checkout APIs, for make run
and make test: payment intents with idempotency keys, a hosted card page, test cards, and
webhooks signed with Standard Webhooks (HMAC-SHA256 over id, timestamp and body).

Test cards: 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined; 4000 0000 0000
9995 has insufficient funds; 4000 0025 0000 3155 asks for an authentication step first.
An intent ends at its first result (succeeded or failed): to try again the customer starts
a new payment. State lives in memory: a simulator, not a ledger.
"""

import argparse
import html
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from listflow.kit.webhooks import Webhook, signed_headers

CARDS = {
    "4242424242424242": "succeeded",
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000002500003155": "authenticate",
}


@dataclass
class Intent:
    id: str
    amount: int
    currency: str
    description: str
    metadata: dict[str, str]
    return_url: str
    status: str = "requires_payment_method"
    error: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def public(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "currency": self.currency,
            "description": self.description,
            "metadata": self.metadata,
            "status": self.status,
            "hosted_url": f"{base}/pay/{self.id}",
            "last_payment_error": {"code": self.error} if self.error else None,
        }


def create_simulator(*, public_url: str, api_key: str, webhook_url: str, secret: str) -> FastAPI:
    app = FastAPI(title="Listflow payment provider simulator")
    intents: dict[str, Intent] = {}
    by_key: dict[str, str] = {}
    signer = Webhook(secret)
    base = public_url.rstrip("/")

    def authorised(authorization: str | None) -> None:
        if authorization != f"Bearer {api_key}":
            raise HTTPException(401, "bad api key")

    async def notify(intent: Intent, event_type: str) -> dict[str, Any]:
        event = {
            "id": f"evt_{secrets.token_hex(8)}",
            "type": event_type,
            "created": int(datetime.now(UTC).timestamp()),
            "data": {"object": intent.public(base)},
        }
        intent.events.append(event)
        await deliver(event)
        return event

    async def deliver(event: dict[str, Any]) -> None:
        body = json.dumps(event)
        headers = signed_headers(signer, event["id"], body)
        # Providers retry until a 2xx; the simulator tries a few times, then gives up (the
        # portal also asks for the intent when the customer comes back).
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(3):
                try:
                    if (await client.post(webhook_url, content=body, headers=headers)).is_success:
                        return
                except httpx.TransportError:
                    pass

    @app.post("/v1/payment_intents")
    async def create(
        request: Request,
        authorization: str | None = Header(default=None),
        idempotency_key: str | None = Header(default=None),
    ) -> JSONResponse:
        authorised(authorization)
        if idempotency_key and idempotency_key in by_key:
            return JSONResponse(intents[by_key[idempotency_key]].public(base))
        body = await request.json()
        amount = body.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            raise HTTPException(400, "amount must be a positive integer of minor units")
        intent = Intent(
            id=f"pi_{secrets.token_hex(10)}",
            amount=amount,
            currency=str(body.get("currency", "usd")),
            description=str(body.get("description", ""))[:200],
            metadata={str(k): str(v) for k, v in (body.get("metadata") or {}).items()},
            return_url=str(body["return_url"]),
        )
        intents[intent.id] = intent
        if idempotency_key:
            by_key[idempotency_key] = intent.id
        return JSONResponse(intent.public(base))

    @app.get("/v1/payment_intents/{intent_id}")
    async def retrieve(intent_id: str, authorization: str | None = Header(default=None)) -> Any:
        authorised(authorization)
        if intent_id not in intents:
            raise HTTPException(404, "no such intent")
        return intents[intent_id].public(base)

    @app.post("/v1/payment_intents/{intent_id}/resend")
    async def resend(intent_id: str, authorization: str | None = Header(default=None)) -> Any:
        """Deliver every event of the intent again, newest first (a provider's retries and
        reordering, for tests)."""
        authorised(authorization)
        intent = intents.get(intent_id)
        if intent is None:
            raise HTTPException(404, "no such intent")
        for event in reversed(intent.events):
            await deliver(event)
        return {"resent": len(intent.events)}

    def card_page(intent: Intent, message: str | None = None, status: int = 200) -> HTMLResponse:
        amount = f"{intent.amount / 100:.2f} {intent.currency.upper()}"
        alert = f'<p role="alert" class="alert">{html.escape(message)}</p>' if message else ""
        return HTMLResponse(
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay {html.escape(amount)} · Payment provider (simulator)</title>
<style>body{{font:1.0625rem/1.5 system-ui,sans-serif;max-width:30rem;margin:0 auto;padding:1rem;color:#1b1f24}}
label{{display:block;font-weight:600;margin-top:1rem}}input{{width:100%;min-height:2.75rem;font:inherit;padding:.5rem;border:2px solid #4a525c;border-radius:4px}}
button{{margin-top:1rem;min-height:2.75rem;font:inherit;font-weight:600;color:#fff;background:#0b4f9c;border:0;border-radius:4px;padding:.6rem 1.2rem}}
.alert{{color:#8a1c1c;border-left:6px solid #8a1c1c;padding-left:.75rem}}
:focus-visible{{outline:3px solid #e0a100;outline-offset:2px}}</style></head>
<body><main><h1>Pay {html.escape(amount)}</h1><p>{html.escape(intent.description)}</p>{alert}
<form method="post" action="/pay/{intent.id}">
<label for="card">Card number</label><input id="card" name="card" autocomplete="cc-number" inputmode="numeric" required>
<label for="exp">Expiry (MM/YY)</label><input id="exp" name="exp" autocomplete="cc-exp" required>
<label for="cvc">Security code</label><input id="cvc" name="cvc" autocomplete="cc-csc" inputmode="numeric" required>
<label for="name">Name on card</label><input id="name" name="name" autocomplete="cc-name">
<button type="submit">Pay {html.escape(amount)}</button></form></main></body></html>""",
            status_code=status,
        )

    def finished(intent: Intent) -> RedirectResponse:
        return RedirectResponse(intent.return_url, status_code=303)

    @app.get("/pay/{intent_id}", response_class=HTMLResponse)
    async def hosted(intent_id: str) -> Any:
        intent = intents.get(intent_id)
        if intent is None:
            return HTMLResponse("<h1>Unknown payment</h1>", status_code=404)
        if intent.status in ("succeeded", "failed"):
            return finished(intent)
        return card_page(intent)

    async def settle(intent: Intent, outcome: str) -> RedirectResponse:
        if outcome == "succeeded":
            intent.status, intent.error = "succeeded", None
            await notify(intent, "payment_intent.succeeded")
        else:
            intent.status, intent.error = "failed", outcome
            await notify(intent, "payment_intent.payment_failed")
        return finished(intent)

    @app.post("/pay/{intent_id}", response_model=None)
    async def pay(
        intent_id: str,
        card: str = Form(default="", max_length=40),
        exp: str = Form(default="", max_length=10),
        cvc: str = Form(default="", max_length=10),
    ) -> HTMLResponse | RedirectResponse:
        intent = intents.get(intent_id)
        if intent is None:
            return HTMLResponse("<h1>Unknown payment</h1>", status_code=404)
        if intent.status in ("succeeded", "failed"):
            return finished(intent)
        outcome = CARDS.get("".join(ch for ch in card if ch.isdigit()))
        if outcome is None or not exp.strip() or not cvc.strip():
            return card_page(intent, "Use one of the test cards, an expiry and a code.", 400)
        intent.status = "processing"
        await notify(intent, "payment_intent.processing")
        if outcome == "authenticate":
            intent.status = "requires_action"
            return RedirectResponse(f"/pay/{intent.id}/authenticate", status_code=303)
        return await settle(intent, outcome)

    @app.get("/pay/{intent_id}/authenticate", response_class=HTMLResponse)
    async def challenge(intent_id: str) -> Any:
        intent = intents.get(intent_id)
        if intent is None or intent.status != "requires_action":
            return HTMLResponse("<h1>Unknown payment</h1>", status_code=404)
        return HTMLResponse(
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Confirm the payment</title></head>
<body><main><h1>Confirm the payment with your bank</h1>
<form method="post" action="/pay/{intent.id}/authenticate">
<button type="submit" name="result" value="complete">Complete authentication</button>
<button type="submit" name="result" value="fail">Fail authentication</button>
</form></main></body></html>"""
        )

    @app.post("/pay/{intent_id}/authenticate", response_model=None)
    async def authenticate(
        intent_id: str, result: str = Form(default="fail", max_length=20)
    ) -> HTMLResponse | RedirectResponse:
        intent = intents.get(intent_id)
        if intent is None or intent.status != "requires_action":
            return HTMLResponse("<h1>Unknown payment</h1>", status_code=404)
        return await settle(
            intent, "succeeded" if result == "complete" else "authentication_failed"
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--webhook-url", required=True)
    args = parser.parse_args()
    # Secrets from the environment, not the command line (which every `ps` shows).
    app = create_simulator(
        public_url=f"http://127.0.0.1:{args.port}",
        api_key=os.environ["LISTFLOW_PAYMENTS_PROVIDER_KEY"],
        webhook_url=args.webhook_url,
        secret=os.environ["LISTFLOW_PAYMENTS_WEBHOOK_SECRET"],
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
