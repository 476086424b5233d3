"""What a log line may say about a request's path: the matched route's template, never the
raw path (a path parameter can be a phone number, an id or a token)."""

from collections.abc import Mapping
from typing import Any

from starlette.routing import BaseRoute, Mount

UNMATCHED = "unmatched"


def route_template(scope: Mapping[str, Any]) -> str:
    """`/v1/dnc/{phone}` for `/v1/dnc/+12125550100`; `unmatched` when no route took the
    request (a 404's path is whatever the caller typed). Never the query string.

    Read after the app has run: the router records the route it chose in the scope (also a
    405's partial match); a mount is known by its app, which it leaves as the endpoint."""
    route = scope.get("route")
    if isinstance(route, BaseRoute) and not isinstance(route, Mount) and hasattr(route, "path"):
        return str(route.path)
    endpoint, app = scope.get("endpoint"), scope.get("app")
    for mount in getattr(app, "routes", ()):
        if isinstance(mount, Mount) and endpoint is not None and mount.app is endpoint:
            return f"{mount.path}/{{path}}"
    return UNMATCHED
