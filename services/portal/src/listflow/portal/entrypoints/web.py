"""What every customer page shares: the session cookie, CSRF tokens, the language, the
templates, and the middleware that keeps tokens out of paths (and so out of logs)."""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from listflow.kit.clock import Clock
from listflow.kit.languages import negotiated, translations
from listflow.schemas.normalize import DateOrder
from starlette.types import ASGIApp, Receive, Scope, Send

HERE = Path(__file__).parent
LANGUAGES = ("en", "es")
DATE_ORDER: dict[str, DateOrder] = {"en": "MDY", "es": "DMY"}
SESSION_COOKIE = "lf_portal"
LANGUAGE_COOKIE = "lf_lang"
# A link's path is /p/<22 characters>; no page of ours has a segment that long.
_TOKEN_PATH = re.compile(r"^/p/([A-Za-z0-9_-]{16,64})/?$")


class TokenOutOfPath:
    """Moves the token of `/p/<token>` out of the path before anything reads it: routing,
    the access log and traces then see `/p/open`, so no token is ever logged. The page
    reads it from the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match = _TOKEN_PATH.match(scope["path"])
            if match is not None:
                scope = {
                    **scope,
                    "path": "/p/open",
                    "raw_path": b"/p/open",
                    "listflow.portal_token": match.group(1),
                }
        await self.app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class Session:
    tenant_id: str
    contact_id: str
    link_id: str
    verified: bool
    nonce: str
    issued_at: datetime


class Sessions:
    """A signed cookie (itsdangerous) holding who the visitor is and a nonce; re-signed on
    every page, so its timestamp is the last activity and the idle timeout is its age."""

    def __init__(self, secret: str, clock: Clock) -> None:
        key = hmac.new(secret.encode(), b"listflow/portal/pages", hashlib.sha256).hexdigest()

        class Signer(TimestampSigner):
            # The service's clock (tests move it), not time.time().
            def get_timestamp(self) -> int:
                return int(clock().timestamp())

        self._clock = clock
        self._cookie = URLSafeTimedSerializer(key, salt="portal-session", signer=Signer)
        # The nonce is URL-safe text already: signed as it is, without the serializer's JSON,
        # compression attempt and base64 (a page signs one token; docs/performance.md).
        self._csrf = Signer(key, salt="portal-csrf")

    def new(self, tenant_id: str, contact_id: str, link_id: str, *, verified: bool) -> Session:
        # A fresh nonce at every step up (link opened, ID&V passed): no session fixation.
        return Session(
            tenant_id, contact_id, link_id, verified, secrets.token_urlsafe(16), self._clock()
        )

    def dumps(self, s: Session) -> str:
        return self._cookie.dumps([s.tenant_id, s.contact_id, s.link_id, s.verified, s.nonce])

    def loads(self, value: str | None, idle: timedelta) -> Session | None:
        if not value:
            return None
        try:
            data, at = self._cookie.loads(
                value, max_age=int(idle.total_seconds()), return_timestamp=True
            )
            tenant_id, contact_id, link_id, verified, nonce = data
        except (BadSignature, ValueError, TypeError):
            return None
        return Session(
            str(tenant_id), str(contact_id), str(link_id), bool(verified), str(nonce), at
        )

    def idle_within(self, s: Session, idle: timedelta) -> bool:
        """Whether a session read with `loads` was last active within `idle` (itsdangerous's
        own max_age rule, in whole seconds), so the cookie is verified once per page."""
        age = int(self._clock().timestamp()) - int(s.issued_at.timestamp())
        return 0 <= age <= int(idle.total_seconds())

    def csrf_token(self, s: Session) -> str:
        return self._csrf.sign(s.nonce).decode()

    def csrf_ok(self, s: Session, token: str | None) -> bool:
        # Synchroniser token: signed, and bound to this session's nonce (another session's
        # token, or one forged without the key, is refused).
        if not token:
            return False
        try:
            nonce = self._csrf.unsign(token, max_age=24 * 3600)
        except BadSignature:
            return False
        return hmac.compare_digest(nonce, s.nonce.encode())


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return negotiated(request.headers.get("accept-language", ""), LANGUAGES)


class TranslatedWhenCompiled(Extension):
    """`_("text", name=value)` becomes `("translation"|safe) % {"name": value}` when a
    template is compiled: what newstyle gettext computes (a trusted translation, its values
    escaped as Markup formats them), with the catalogue looked up once. Each environment is
    one language's, so the translation is known then; without values Jinja2 folds it into
    the template's static text. At run time each call cost a context lookup, two
    `Context.call`s, a Markup and a `%` (~20 a page, a fifth of its rendering, see
    docs/performance.md)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(translate_when_compiled=None)

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        translate: Callable[[str], str] | None = getattr(
            self.environment, "translate_when_compiled", None
        )
        tokens = list(stream)
        return tokens if translate is None else _translated(tokens, translate)


_OPENING = {"lparen": "rparen", "lbracket": "rbracket", "lbrace": "rbrace"}


def _arguments(tokens: list[Token], start: int) -> tuple[list[list[Token]], int] | None:
    """The comma-separated arguments of a call whose `(` is at `start`, and the index after
    its `)`; None when the call does not close."""
    depth, current, arguments = 0, list[Token](), list[list[Token]]()
    for i in range(start + 1, len(tokens)):
        kind = tokens[i].type
        if depth == 0 and kind in ("comma", "rparen"):
            if current:
                arguments.append(current)
            if kind == "rparen":
                return arguments, i + 1
            current = []
            continue
        if kind in _OPENING:
            depth += 1
        elif kind in _OPENING.values():
            depth -= 1
        current.append(tokens[i])
    return None


def _translated(tokens: list[Token], translate: Callable[[str], str]) -> Iterator[Token]:
    i = 0
    while i < len(tokens):
        call = _gettext_call(tokens, i)
        if call is None:
            yield tokens[i]
            i += 1
            continue
        text, values, i = call
        line = tokens[i - 1].lineno
        yield from (Token(line, "lparen", "("), Token(line, "lparen", "("))
        yield Token(line, "string", translate(text))
        yield from (Token(line, "pipe", "|"), Token(line, "name", "safe"))
        yield from (Token(line, "rparen", ")"), Token(line, "mod", "%"))
        yield Token(line, "lbrace", "{")
        for n, (name, value) in enumerate(values):
            if n:
                yield Token(line, "comma", ",")
            yield from (Token(line, "string", name), Token(line, "colon", ":"))
            yield from value
        yield from (Token(line, "rbrace", "}"), Token(line, "rparen", ")"))


def _gettext_call(
    tokens: list[Token], i: int
) -> tuple[str, list[tuple[str, list[Token]]], int] | None:
    """`_("text", name=value, ...)` at `i`: its text, its named values and the index after
    it; None for anything else (left to gettext at run time)."""
    if not (
        tokens[i].test("name:_")
        and i + 2 < len(tokens)
        and tokens[i + 1].type == "lparen"
        and (i == 0 or tokens[i - 1].type != "dot")
    ):
        return None
    found = _arguments(tokens, i + 1)
    if found is None:
        return None
    arguments, after = found
    if not arguments or len(arguments[0]) != 1 or arguments[0][0].type != "string":
        return None
    values = []
    for argument in arguments[1:]:
        if len(argument) < 3 or argument[0].type != "name" or argument[1].type != "assign":
            return None
        values.append((str(argument[0].value), argument[2:]))
    return str(arguments[0][0].value), values, after


@cache
def environment(lang: str) -> Environment:
    """One Jinja2 environment per language, its gettext from the catalogue (Babel)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", TranslatedWhenCompiled],
        # The templates ship with the package: compiled once, never looked at on disk again.
        auto_reload=False,
    )
    catalogue = translations(HERE / "locales", lang)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.translate_when_compiled = catalogue.gettext  # type: ignore[attr-defined]

    # The locale parsed once, not by Babel on every amount and date of every page.
    locale = Locale.parse(lang)

    def money(amount: Decimal | None, currency: str | None) -> str:
        if amount is None:
            return "—"
        return format_currency(amount, currency or "USD", locale=locale)

    env.filters["money"] = money
    env.filters["day"] = lambda d: format_date(d, format="long", locale=locale)
    env.filters["moment"] = lambda d: format_datetime(d, format="medium", locale=locale)
    env.globals["lang"] = lang
    return env


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    lang = language(request)
    html = (
        environment(lang)
        .get_template(template)
        .render(path=request.url.path, languages=LANGUAGES, **context)
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response


def secure_headers(response: Response, provider_origin: str) -> None:
    """No framing, no referrer (a link's URL must not travel), nothing cached, forms only
    to us and to the provider's page (a form's redirect counts)."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        f"form-action 'self' {provider_origin}; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
