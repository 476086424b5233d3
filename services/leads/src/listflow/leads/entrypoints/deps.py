"""Dependencies of the leads routers: the use cases a route calls, from the container."""

from typing import Annotated

from fastapi import Depends, Request
from listflow.kit.container import container_dependency
from listflow.leads.bootstrap import Container
from listflow.leads.handlers.dnc import DoNotCall
from listflow.leads.manage import Lists

_container = container_dependency(Container)


def _lists(request: Request) -> Lists:
    return _container(request).lists


def _dnc(request: Request) -> DoNotCall:
    return _container(request).dnc


ListsDep = Annotated[Lists, Depends(_lists)]
DncDep = Annotated[DoNotCall, Depends(_dnc)]
