"""Dependencies of the portal routers."""

from typing import Annotated

from fastapi import Depends, Request
from listflow.kit.container import container_dependency
from listflow.portal.bootstrap import Container
from listflow.portal.handlers import Portal

_container = container_dependency(Container)


def _portal(request: Request) -> Portal:
    return _container(request).portal


ContainerDep = Annotated[Container, Depends(_container)]
PortalDep = Annotated[Portal, Depends(_portal)]
