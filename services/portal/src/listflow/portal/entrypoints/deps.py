"""Dependencies of the portal routers."""

from typing import Annotated

from fastapi import Depends, Request
from listflow.kit.container import container_dependency
from listflow.portal.bootstrap import Container
from listflow.portal.handlers import Portal
from listflow.portal.selfservice import SelfService

_of = container_dependency(Container)


# Coroutines, not plain functions: FastAPI runs a plain function dependency in its thread
# pool, a hand-over that cost a customer page about a third of its CPU (docs/performance.md).
async def _container(request: Request) -> Container:
    return _of(request)


async def _portal(request: Request) -> Portal:
    return _of(request).portal


async def _selfservice(request: Request) -> SelfService:
    return _of(request).selfservice


ContainerDep = Annotated[Container, Depends(_container)]
PortalDep = Annotated[Portal, Depends(_portal)]
SelfServiceDep = Annotated[SelfService, Depends(_selfservice)]
