"""What every service's composition root holds, and how routes reach it.

Each service's `bootstrap.py` subclasses `BaseContainer` with its own ports and use cases;
the broker, publisher and database client are made the same way everywhere.
"""

from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from fastapi import APIRouter, FastAPI, Request
from fastapi.telemetry import TelemetryConfig
from faststream.kafka import KafkaBroker
from listflow.kit.clock import utc_now as utc_now  # bootstraps take the clock from here
from listflow.kit.health import infrastructure_checks
from listflow.kit.kafka import EventPublisher, make_broker
from listflow.kit.logging import configure_logging
from listflow.kit.mongo import Document, make_client
from listflow.kit.service import build_app, serve
from listflow.kit.settings import CommonSettings
from listflow.kit.tracing import configure_tracing
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient

S = TypeVar("S", bound=CommonSettings)
C = TypeVar("C")
T = TypeVar("T")
K = TypeVar("K", covariant=True)
S_contra = TypeVar("S_contra", bound=CommonSettings, contravariant=True)


@dataclass(frozen=True)
class Infrastructure(Generic[S]):
    """A service process's settings, broker (subscribers), publisher (events) and database
    client, made the same way in every service."""

    settings: S
    broker: KafkaBroker
    publisher: EventPublisher
    mongo: AsyncMongoClient[Document]


@dataclass
class BaseContainer(Generic[S]):
    """The infrastructure of one service process; subclasses add ports and use cases."""

    infra: Infrastructure[S]

    @property
    def settings(self) -> S:
        return self.infra.settings

    @property
    def broker(self) -> KafkaBroker:
        return self.infra.broker

    @property
    def publisher(self) -> EventPublisher:
        return self.infra.publisher

    @property
    def mongo(self) -> AsyncMongoClient[Document]:
        return self.infra.mongo


def infrastructure(
    settings: S, service: str, tracer_provider: TracerProvider | None
) -> Infrastructure[S]:
    """The broker (subscribers), the publisher (events) and the database client of a service."""
    return Infrastructure(
        settings=settings,
        broker=make_broker(settings.kafka_bootstrap, service, tracer_provider),
        publisher=EventPublisher(settings.kafka_bootstrap, service, tracer_provider),
        mongo=make_client(settings.mongodb_url),
    )


def container_of(kind: type[C]) -> Callable[[Request], C]:
    """A plain function giving a route's body the app's container from its request."""

    def container(request: Request) -> C:
        return cast(C, request.app.state.container)

    container.__name__ = f"{kind.__name__.lower()}_of"
    return container


# The dependencies are coroutine functions: FastAPI runs a plain function dependency in its
# thread pool, a hand-over to a worker thread and back on every request for an attribute
# read (a third of a small page's CPU in the portal, docs/performance.md).


def container_dependency(kind: type[C]) -> Callable[[Request], Coroutine[Any, Any, C]]:
    """A FastAPI dependency giving a route the app's container."""
    get = container_of(kind)

    async def container(request: Request) -> C:
        return get(request)

    container.__name__ = f"{kind.__name__.lower()}_of"
    return container


def part_dependency(
    kind: type[C], part: Callable[[C], T]
) -> Callable[[Request], Coroutine[Any, Any, T]]:
    """A FastAPI dependency giving a route one part of the app's container (a use case)."""
    get = container_of(kind)

    async def dependency(request: Request) -> T:
        return part(get(request))

    return dependency


def service_app(
    container: BaseContainer[Any],
    *,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Sequence[APIRouter],
    telemetry: TelemetryConfig | None = None,
) -> FastAPI:
    """A service's FastAPI app over its container: health checks of its database and broker,
    its AsyncAPI document, and the container where `container_dependency` finds it.
    `telemetry` is FastAPI's native OpenTelemetry configuration (its defaults if None)."""
    app = build_app(
        title=title,
        description=description,
        settings=container.settings,
        lifespan=lifespan,
        routers=routers,
        checks=infrastructure_checks(container.mongo, container.broker),
        broker=container.broker,
        telemetry=telemetry,
    )
    app.state.container = container
    return app


class Bootstrap(Protocol[S_contra, K]):
    def __call__(self, settings: S_contra, *, tracer_provider: TracerProvider | None) -> K: ...


def run_service(
    service: str,
    settings: S,
    bootstrap: Bootstrap[S, K],
    create_app: Callable[[K], FastAPI],
    *,
    workers: int = 1,
    factory: str | None = None,
) -> None:
    """Run one service process: logging, tracing, its app over its container, uvicorn on
    the port its settings name `<service>_http_port`. With `workers` > 1, uvicorn starts
    that many processes, each building its app with `factory` (its import path, as
    `module:function`, a function calling `service_app_of`)."""
    port: int = getattr(settings, f"{service}_http_port")
    if workers > 1:
        if factory is None:
            raise ValueError("several workers need the import path of an app factory")
        configure_logging(service, settings.log_level)  # the supervisor's own lines
        serve(factory, settings.http_host, port, workers=workers)
        return
    serve(service_app_of(service, settings, bootstrap, create_app), settings.http_host, port)


def service_app_of(
    service: str,
    settings: S,
    bootstrap: Bootstrap[S, K],
    create_app: Callable[[K], FastAPI],
) -> FastAPI:
    """A service's app in this process: logging and tracing configured, its container
    bootstrapped (a worker process's factory calls this)."""
    configure_logging(service, settings.log_level)
    provider = configure_tracing(service)
    return create_app(bootstrap(settings, tracer_provider=provider))
