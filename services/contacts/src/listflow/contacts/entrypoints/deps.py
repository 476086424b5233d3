"""Dependencies of the contacts routers."""

from typing import Annotated

from fastapi import Depends
from listflow.contacts.bootstrap import Container
from listflow.contacts.manage import Tools
from listflow.kit.container import container_dependency, part_dependency

_container = container_dependency(Container)

ContainerDep = Annotated[Container, Depends(_container)]
ToolsDep = Annotated[Tools, Depends(part_dependency(Container, lambda c: c.tools))]
