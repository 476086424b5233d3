"""Dependencies of the leads routers."""

from typing import Annotated

from fastapi import Depends
from listflow.kit.container import container_dependency
from listflow.leads.bootstrap import Container

ContainerDep = Annotated[Container, Depends(container_dependency(Container))]
