"""Builds a service's HTTP app the same way everywhere: problems, health, auth, logs, specs."""

import asyncio
import gc
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

import structlog
import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from listflow.kit.auth import ApiKeys
from listflow.kit.health import Check, health_router
from listflow.kit.kafka import EventPublisher
from listflow.kit.logging import get_logger
from listflow.kit.problems import install_problem_handlers
from listflow.kit.routes import route_template
from listflow.kit.settings import CommonSettings
from pymongo import AsyncMongoClient
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_log = get_logger("listflow.http")


# Allocations between young-generation collections (CPython's default is 700), and how
# many of those before each older generation is collected.
GC_THRESHOLDS = (50_000, 20, 100)


def settle_heap() -> None:
    """Move what start-up built (modules, schemas, clients) out of the cyclic collector's
    sight and collect young objects less often. A batch of rows allocates hundreds of
    thousands of objects; at the default threshold the collector ran ~140 times a 2,000-row
    batch and took 27-29 of 60-68 us a row of contacts' merge (49 us with 6 of GC after
    this; docs/performance.md, issue 17). Cycles still get collected, only in larger steps;
    objects without cycles are freed by reference counting as before."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@asynccontextmanager
async def connected(
    publisher: EventPublisher, broker: KafkaBroker, mongo: AsyncMongoClient[Any]
) -> AsyncIterator[None]:
    """Kafka producer and consumers up for the body; after it, consumers stop first (their
    last batch may still publish), then the producer, then the database client. Once up, the
    heap built so far is settled (`settle_heap`)."""
    await publisher.start()
    await broker.start()
    settle_heap()
    try:
        yield
    finally:
        await broker.stop()
        await publisher.stop()
        await mongo.close()


@asynccontextmanager
async def running(work: Coroutine[Any, Any, None] | None) -> AsyncIterator[None]:
    """A background loop (a reconciler, a scheduler) for the body; cancelled after it."""
    task = asyncio.create_task(work) if work is not None else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status"],
}


def build_app(
    *,
    title: str,
    description: str,
    settings: CommonSettings,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Sequence[APIRouter],
    checks: dict[str, Check],
    broker: KafkaBroker | None = None,
    telemetry: TelemetryConfig | None = None,
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        telemetry=telemetry,
    )
    app.state.api_keys = ApiKeys(settings.tenant_for_digest())
    install_problem_handlers(app)
    app.include_router(health_router(checks))
    for router in routers:
        app.include_router(router)

    if broker is not None:
        spec = AsyncAPI(broker, title=title, version="1.0.0", description=description)

        @app.get("/asyncapi.json", tags=["specs"], summary="AsyncAPI document of this service")
        async def asyncapi() -> dict[str, Any]:
            document: dict[str, Any] = spec.to_specification().to_jsonable()
            return document

    original_openapi = app.openapi

    def openapi_with_problem() -> dict[str, Any]:
        schema = original_openapi()
        schema.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = (
            PROBLEM_SCHEMA
        )
        return schema

    app.openapi = openapi_with_problem  # type: ignore[method-assign]

    app.add_middleware(AccessLog)
    return app


class AccessLog:
    """One log line per request (route template, status, time to the response's start) and
    the request id, bound for the request's log lines and sent back in `x-request-id`.

    A plain ASGI middleware rather than `@app.middleware("http")`: Starlette's
    BaseHTTPMiddleware runs the app in a task of its own behind memory streams, which cost a
    small page a sixth of its CPU (docs/performance.md, portal pages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("x-request-id") or uuid.uuid4().hex
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["x-request-id"] = request_id
                route = route_template(scope)
                if route not in ("/healthz", "/readyz"):
                    # The route's template, never the raw path or query (they can carry PII).
                    _log.info(
                        "http request",
                        method=scope["method"],
                        route=route,
                        status=message["status"],
                        duration_ms=round((time.perf_counter() - started) * 1000, 1),
                        request_id=request_id,
                    )
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")


def serve(app: FastAPI | str, host: str, port: int, *, workers: int = 1) -> None:
    """Run under uvicorn with our logging (uvicorn's own log config would replace it).
    Several worker processes need `app` as the import path of a factory that builds the
    whole app (container included) in each worker; they share the listening socket."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        factory=isinstance(app, str),
        workers=workers if isinstance(app, str) else None,
        log_config=None,
        access_log=False,
        lifespan="on",
        # Open progress streams must not hold a shutdown past the pod's grace period.
        timeout_graceful_shutdown=15,
    )
