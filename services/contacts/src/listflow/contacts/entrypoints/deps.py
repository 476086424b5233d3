"""Dependencies of the contacts routers."""

from typing import Annotated

from fastapi import Depends, Request
from listflow.contacts.bootstrap import Container
from listflow.contacts.manage import Tools
from listflow.kit.container import container_dependency

_container = container_dependency(Container)


def _tools(request: Request) -> Tools:
    return _container(request).tools


ContainerDep = Annotated[Container, Depends(_container)]
ToolsDep = Annotated[Tools, Depends(_tools)]
