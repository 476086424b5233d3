"""The customer's unsubscribe link, `/u/<token>`: a POST (RFC 8058's one-click, with its
`List-Unsubscribe=One-Click` body or none) and a GET (the visible link in the message) both
unsubscribe at once, with no confirmation step (listmonk #1685), and answer a small page
"You are unsubscribed" with a button that undoes it. Server-rendered, in English or
Spanish (Accept-Language), no JavaScript. A forged or unknown token gets one plain "this
link is not valid" page (404) that does not say which; bad input is a page too, never a 500.

The request log names the route template (`/u/{token}`), never the path, so the token is
in no log line."""

from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from listflow.campaigns.entrypoints.deps import ContainerDep
from listflow.campaigns.unsubscribes import UNDO_MAX_AGE_S, Source
from listflow.kit.languages import negotiated, translations
from listflow.kit.problems import readable_errors

HERE = Path(__file__).parent
LANGUAGES = ("en", "es")
# The undo form's nonce: a cookie of /u only, never sent from another site's page.
UNDO_COOKIE = "lf_unsub"
HTML = {"text/html": {"schema": {"type": "string"}}}

router = APIRouter(prefix="/u", tags=["unsubscribe"])


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(HERE / "locales", lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    return env


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the visitor's language, with headers that keep it (and its URL) private."""
    lang = negotiated(request.headers.get("accept-language", ""), LANGUAGES)
    html = _environment(lang).get_template(template).render(**context)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    # The URL holds the token: no referrer carries it away, no cache or index keeps it.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Content-Language"] = lang
    return response


def not_valid(request: Request, status: int = 404) -> HTMLResponse:
    """The one answer for a forged, tampered or unknown link: nothing says which."""
    return page(request, "invalid.html", status=status)


async def _unsubscribe(
    request: Request, container: ContainerDep, token: str, source: Source
) -> Response:
    message = await container.unsubscribes.unsubscribe(token, source)
    if message is None:
        return not_valid(request)
    nonce, field = container.undo_forms.issue(token)
    response = page(request, "unsubscribed.html", token=token, csrf=field, channel=message.channel)
    response.set_cookie(
        UNDO_COOKIE,
        nonce,
        max_age=UNDO_MAX_AGE_S,
        path="/u/",
        httponly=True,
        samesite="strict",
        secure=container.settings.campaigns_public_url.startswith("https://"),
    )
    return response


@router.post(
    "/{token}",
    response_class=HTMLResponse,
    summary="One-click unsubscribe (RFC 8058)",
    responses={
        200: {"description": "Unsubscribed (again, if it was already)", "content": HTML},
        404: {"description": "Not a link of ours", "content": HTML},
    },
)
async def one_click(request: Request, container: ContainerDep, token: str) -> Response:
    """What a mail client POSTs to the List-Unsubscribe link (body
    `List-Unsubscribe=One-Click`, or none): the address is unsubscribed at once, no
    confirmation asked. The body is not read: nothing in it could change the answer."""
    return await _unsubscribe(request, container, token, Source.ONE_CLICK)


@router.get("/{token}", include_in_schema=False)
async def open_link(request: Request, container: ContainerDep, token: str) -> Response:
    """The visible link in the message: unsubscribed at once, the page offers undo."""
    return await _unsubscribe(request, container, token, Source.LINK)


@router.post("/{token}/undo", include_in_schema=False)
async def undo(
    request: Request,
    container: ContainerDep,
    token: str,
    csrf: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The page's "subscribe again" button (a form of this link's page only)."""
    if not container.undo_forms.genuine(token, csrf, request.cookies.get(UNDO_COOKIE)):
        return page(request, "expired.html", status=403, token=token)
    message = await container.unsubscribes.resubscribe(token)
    if message is None:
        return not_valid(request)
    return page(request, "resubscribed.html", token=token, channel=message.channel)


def install(app: FastAPI) -> None:
    """The pages' stylesheet, and readable pages (not problem documents) for bad input or
    an unknown path under /u."""
    app.mount("/u/static", StaticFiles(directory=HERE / "static"), name="unsubscribe-static")
    readable_errors(app, "/u/", not_valid)
