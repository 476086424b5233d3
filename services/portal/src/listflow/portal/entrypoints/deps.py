"""Dependencies of the portal routers."""

from typing import Annotated

from fastapi import Depends
from listflow.kit.container import container_dependency, part_dependency
from listflow.portal.bootstrap import Container
from listflow.portal.handlers import Portal
from listflow.portal.selfservice import SelfService

ContainerDep = Annotated[Container, Depends(container_dependency(Container))]
PortalDep = Annotated[Portal, Depends(part_dependency(Container, lambda c: c.portal))]
SelfServiceDep = Annotated[
    SelfService, Depends(part_dependency(Container, lambda c: c.selfservice))
]
