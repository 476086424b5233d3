"""Dependencies of the contacts routers, and domain refusals as problem documents."""

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from listflow.contacts.bootstrap import Container
from listflow.contacts.domain.errors import Conflict, Invalid, NotFound
from listflow.contacts.manage import Tools
from listflow.kit.container import container_dependency
from listflow.kit.problems import problem_response

_container = container_dependency(Container)


def _tools(request: Request) -> Tools:
    return _container(request).tools


ContainerDep = Annotated[Container, Depends(_container)]
ToolsDep = Annotated[Tools, Depends(_tools)]


def install_domain_errors(app: FastAPI) -> None:
    """404 for what the tenant does not have, 409 for collisions, 422 for invalid content."""

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, 404, "Not Found", str(exc))

    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Conflict)
        return problem_response(request, 409, "Conflict", str(exc), **exc.details)  # type: ignore[arg-type]

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Invalid)
        errors = [{"location": e["field"], "message": e["message"]} for e in exc.errors]
        return problem_response(request, 422, "Invalid request", str(exc), errors=errors)

    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Conflict, conflict)
    app.add_exception_handler(Invalid, invalid)
