"""The SMS provider over HTTP (shaped like the common messaging APIs; the local simulator in
tools/devstack speaks it): POST /v1/messages with to, from, body, the ledger's message id as
the client reference and the status callback URL; the answer carries the provider's id.

A 4xx answer is a refusal for good (SmsRefused with the provider's reason: the message is
failed); a timeout, a connection error, a 429 or a 5xx is SmsUnavailable (try again). The
number and the body are never logged.
"""

import httpx
from listflow.campaigns.ports import OutgoingSms, SmsRefused, SmsUnavailable
from listflow.kit.logging import get_logger

_log = get_logger(__name__)


class HttpSmsSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        sender: str,
        status_callback_url: str,
    ) -> None:
        """`client` carries the provider's base URL, its key and the timeouts."""
        self._client = client
        self._sender = sender
        self._callback = status_callback_url

    @classmethod
    def connect(
        cls,
        base_url: str,
        api_key: str,
        *,
        sender: str,
        status_callback_url: str,
        timeout_s: float = 10.0,
    ) -> "HttpSmsSender":
        client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        )
        return cls(client, sender=sender, status_callback_url=status_callback_url)

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, sms: OutgoingSms) -> str:
        try:
            response = await self._client.post(
                "/v1/messages",
                json={
                    "to": sms.to,
                    "from": self._sender,
                    "body": sms.body,
                    "client_reference": sms.message_id,
                    "status_callback": self._callback,
                },
            )
        except httpx.TimeoutException as exc:
            _log.warning("sms provider timed out", message_id=sms.message_id)
            raise SmsUnavailable("the SMS provider did not answer in time") from exc
        except httpx.TransportError as exc:
            _log.warning("sms provider unreachable", message_id=sms.message_id)
            raise SmsUnavailable(f"the SMS provider is unreachable ({type(exc).__name__})") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsUnavailable(f"the SMS provider answered {response.status_code}")
        if response.is_error:
            reason = _reason(response)
            _log.info("sms refused by the provider", message_id=sms.message_id, reason=reason)
            raise SmsRefused(reason)
        provider_id = _field(response, "id")
        if provider_id is None:
            raise SmsUnavailable("the SMS provider's answer has no message id")
        return provider_id


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _field(response: httpx.Response, name: str) -> str | None:
    body = _json(response)
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _reason(response: httpx.Response) -> str:
    """The provider's reason code (`error.code`, or `code`), else the status."""
    body = _json(response)
    if isinstance(body, dict):
        error = body.get("error")
        code = error.get("code") if isinstance(error, dict) else body.get("code")
        if isinstance(code, str) and code:
            return code[:100]
    return f"http_{response.status_code}"
