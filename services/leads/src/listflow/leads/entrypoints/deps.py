"""Dependencies of the leads routers: the use cases a route calls, from the container."""

from typing import Annotated

from fastapi import Depends
from listflow.kit.container import part_dependency
from listflow.leads.bootstrap import Container
from listflow.leads.handlers.dnc import DoNotCall
from listflow.leads.manage import Lists

ListsDep = Annotated[Lists, Depends(part_dependency(Container, lambda c: c.lists))]
DncDep = Annotated[DoNotCall, Depends(part_dependency(Container, lambda c: c.dnc))]
