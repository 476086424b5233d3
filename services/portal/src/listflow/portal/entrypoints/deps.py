"""Dependencies of the portal routers."""

from typing import Annotated

from fastapi import Depends
from listflow.kit.container import container_dependency, part_dependency
from listflow.portal.bootstrap import Container
from listflow.portal.handlers import Portal
from listflow.portal.selfservice import SelfService

_container = container_dependency(Container)

ContainerDep = Annotated[Container, Depends(_container)]
PortalDep = Annotated[Portal, Depends(part_dependency(Container, lambda c: c.portal))]
SelfServiceDep = Annotated[
    SelfService, Depends(part_dependency(Container, lambda c: c.selfservice))
]
