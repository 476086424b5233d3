"""API-key authentication: the `X-API-Key` header names the tenant of every request."""

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from listflow.kit.problems import Problem
from listflow.kit.settings import api_key_digest

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str


class ApiKeys:
    """Looks up a key's tenant by the key's digest; keys themselves are never stored."""

    def __init__(self, digests_to_tenant: dict[str, str]) -> None:
        self._by_digest = dict(digests_to_tenant)

    def tenant(self, key: str | None) -> Tenant | None:
        if not key:
            return None
        digest = api_key_digest(key)
        for known, tenant in self._by_digest.items():
            # Constant-time comparison, so a timing probe learns nothing about stored digests.
            if hmac.compare_digest(known, digest):
                return Tenant(tenant)
        return None


def current_tenant(
    request: Request, key: Annotated[str | None, Depends(_api_key_header)]
) -> Tenant:
    """The tenant whose API key came with the request, or a 401 problem."""
    keys: ApiKeys = request.app.state.api_keys
    tenant = keys.tenant(key)
    if tenant is None:
        raise Problem(
            401,
            "Unauthorized",
            "Send a valid API key in the X-API-Key header."
            if key
            else "X-API-Key header is missing.",
        )
    return tenant


TenantDep = Annotated[Tenant, Depends(current_tenant)]
