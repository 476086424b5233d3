"""RFC 9457 problem details for every error a service answers, never a traceback."""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from listflow.kit.errors import (
    Conflict,
    Invalid,
    NotFound,
    Refused,
    TooLarge,
    Unavailable,
    UpstreamFailed,
)
from listflow.kit.logging import get_logger
from listflow.kit.routes import route_template
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
_log = get_logger(__name__)


class Problem(Exception):
    """Raise from a route or handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.extensions = extensions


def validation_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Pydantic's errors as the problem document's `errors`: where, and what is wrong."""
    return [
        {
            "location": ".".join(str(p) for p in (prefix, *err.get("loc", ())) if p != ""),
            "message": err.get("msg", ""),
        }
        for err in exc.errors()
    ]


def validation_problem(exc: ValidationError, prefix: str = "") -> Problem:
    """A 422 naming the fields, for input that passed the request model but not a later model
    (a partial update merged into the stored record, say)."""
    return Problem(
        422,
        "Invalid request",
        "The request does not match the API.",
        errors=validation_errors(exc, prefix),
    )


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    type_: str = "about:blank",
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    body.update(extensions)
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# The one place a domain refusal becomes an HTTP status.
REFUSAL_STATUS: dict[type[Refused], int] = {
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Invalid: 422,
    UpstreamFailed: 502,
    Unavailable: 503,
}


def refusal_status(exc: Refused) -> int:
    """The status of a refusal: that of the nearest kind in its class's ancestry."""
    for kind in type(exc).__mro__:
        if kind in REFUSAL_STATUS:
            return REFUSAL_STATUS[kind]
    return 400


def install_problem_handlers(app: FastAPI) -> None:
    """Map every exception FastAPI can raise, and every domain refusal, to a problem document."""

    async def on_refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refused)
        return problem_response(
            request, refusal_status(exc), exc.title, exc.detail, **exc.extensions
        )

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(
            request, exc.status, exc.title, exc.detail, exc.type, **exc.extensions
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        return problem_response(request, exc.status_code, title, detail)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "location": ".".join(str(p) for p in err.get("loc", ())),
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        return problem_response(
            request, 422, "Invalid request", "The request does not match the API.", errors=errors
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the log (with the trace id), never to the client.
        _log.exception("unhandled error", route=route_template(request.scope))
        return problem_response(
            request, 500, "Internal Server Error", "An unexpected error occurred."
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(Refused, on_refused)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_unexpected)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": HTTPStatus(code).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    for code in (400, 401, 404, 409, 413, 422)
}


def readable_errors(app: FastAPI, prefix: str, answer: Callable[[Request, int], Response]) -> None:
    """Under `prefix` (pages people open from a message) bad input, an unknown page or a
    wrong method get `answer(request, status)`, a readable page; problem documents, the
    API's convention, everywhere else. Call after `install_problem_handlers`."""
    problems = dict(app.exception_handlers)

    async def readable(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(prefix):
            kind = (
                RequestValidationError
                if isinstance(exc, RequestValidationError)
                else StarletteHTTPException
            )
            problem: Response = await problems[kind](request, exc)
            return problem
        status = 400 if isinstance(exc, RequestValidationError) else 404
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            status = 405
        return answer(request, status)

    app.add_exception_handler(RequestValidationError, readable)
    app.add_exception_handler(StarletteHTTPException, readable)
