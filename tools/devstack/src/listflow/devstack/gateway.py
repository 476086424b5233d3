"""The local gateway: one base URL that routes each API prefix to its service, and serves
the operator console (console/dist) at every other path.

In Kubernetes an Ingress does this (deploy/k8s/ingress.yaml holds the same table).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

ROUTES: dict[str, str] = {
    "/v1/uploads": "ingest",
    "/v1/templates": "ingest",
    "/v1/mappings": "ingest",
    "/v1/contacts": "contacts",
    "/v1/groups": "contacts",
    "/v1/tags": "contacts",
    "/v1/lead-lists": "leads",
    "/v1/leads": "leads",
    "/v1/dialer-campaigns": "leads",
    "/v1/dnc": "leads",
    "/v1/message-templates": "campaigns",
    "/v1/campaigns": "campaigns",
    "/v1/campaign-settings": "campaigns",
    # A segment's campaign file (a campaign's own is under /v1/campaigns).
    "/v1/campaign-file.csv": "campaigns",
    "/v1/campaign-file.xlsx": "campaigns",
    "/v1/suppressions": "campaigns",
    # The SMS provider's signed status callbacks and inbound messages.
    "/hooks/sms": "campaigns",
    # Customers' unsubscribe links (/u/<token>, one click) in every email and SMS.
    "/u": "campaigns",
    "/v1/portal": "portal",
    # Customers' own pages (their links are /p/<token>) and the portal's static files.
    "/p": "portal",
}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "host",
    "content-length",
}


def create_gateway(upstreams: dict[str, str], console_dir: Path | None = None) -> Starlette:
    """`upstreams` maps a service name to its base URL; `console_dir` holds the built console
    (index.html and assets), served at the paths no service claims."""
    client = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0))

    def upstream_for(path: str) -> str | None:
        for prefix, service in ROUTES.items():
            if path == prefix or path.startswith(prefix + "/"):
                return upstreams.get(service)
        return None

    async def proxy(request: Request) -> Response:
        base = upstream_for(request.url.path)
        if base is None and console_dir is not None and not request.url.path.startswith("/v1/"):
            if request.method not in ("GET", "HEAD"):
                return _problem(405, "Method Not Allowed", "The console only answers GET.")
            return _console_file(console_dir, request.url.path)
        if base is None:
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": f"No service serves {request.url.path}.",
                },
                status_code=404,
                media_type="application/problem+json",
            )
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        # Forward the path as the client encoded it: the decoded one may hold characters (a
        # control character from %06, say) that are no valid URL, and the service, not the
        # gateway, decides what a path parameter may be.
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        try:
            upstream_request = client.build_request(
                request.method,
                base + raw_path.decode("latin-1"),
                params=request.url.query,
                headers=headers,
                content=_body(request),
            )
        except httpx.InvalidURL:
            return _problem(400, "Bad Request", "The request's URL is not valid.")
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.TransportError:
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Bad Gateway",
                    "status": 502,
                    "detail": "The service behind this path is not answering.",
                },
                status_code=502,
                media_type="application/problem+json",
            )
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
            background=BackgroundTask(upstream.aclose),
        )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "upstreams": upstreams})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    async def forward(scope: Scope, receive: Receive, send: Send) -> None:
        response = await proxy(Request(scope, receive))
        await response(scope, receive, send)

    app = Starlette(routes=[Route("/healthz", healthz)], lifespan=lifespan)
    # Every other path goes to a service as it came: a `{path:path}` route does not match a
    # path holding a line break (%0A), and redirecting slashes answered 307 to some; the
    # service, not the gateway, decides what its paths may hold.
    app.router.redirect_slashes = False
    app.router.default = forward
    return app


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def _console_file(console_dir: Path, path: str) -> Response:
    """A file of the built console, else index.html (the console routes in the browser)."""
    root = console_dir.resolve()
    index = root / "index.html"
    if not index.is_file():
        return _problem(
            503,
            "Console not built",
            "Run `make run` (it builds console/dist) to serve the console.",
        )
    candidate = (root / path.lstrip("/")).resolve()
    # resolve() folds any `..`: a path that leaves the console's folder gets index.html.
    if candidate.is_relative_to(root) and candidate.is_file():
        # Vite names assets by content hash: they never change; index.html always may.
        immutable = candidate.parent == root / "assets"
        cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        return FileResponse(candidate, headers={"Cache-Control": cache})
    if path.startswith("/assets/"):
        return _problem(404, "Not Found", f"No console asset {path}.")
    return FileResponse(index, headers={"Cache-Control": "no-cache"})


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk
