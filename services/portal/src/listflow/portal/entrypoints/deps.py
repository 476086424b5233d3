"""Dependencies of the portal routers."""

from typing import Annotated

from fastapi import Depends, Request
from listflow.kit.container import container_dependency
from listflow.portal.bootstrap import Container
from listflow.portal.handlers import Portal
from listflow.portal.selfservice import SelfService

_container = container_dependency(Container)


def _portal(request: Request) -> Portal:
    return _container(request).portal


def _selfservice(request: Request) -> SelfService:
    return _container(request).selfservice


ContainerDep = Annotated[Container, Depends(_container)]
PortalDep = Annotated[Portal, Depends(_portal)]
SelfServiceDep = Annotated[SelfService, Depends(_selfservice)]
