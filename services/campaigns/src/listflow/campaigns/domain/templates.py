"""Message templates: which fields they may name, how they render, what an SMS costs.

Rendering is Jinja2's SandboxedEnvironment with StrictUndefined: a template cannot reach
Python internals, and a name outside the field catalogue is refused when the template is
saved (never found at send time).
"""

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, Literal

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from listflow.kit import errors

Channel = Literal["email", "sms"]

# Every name a template may use; `extra` holds the upload's additional columns by name.
CONTACT_FIELDS = frozenset(
    {
        "contact_id",
        "first_name",
        "last_name",
        "full_name",
        "company_name",
        "customer_id",
        "external_id",
        "email",
        "phone",
        "address",
        "city",
        "state",
        "postcode",
        "country",
        "time_zone",
        "accounts",
        "account_number",
        "balance",
        "currency",
        "extra",
    }
)
LINK_FIELDS = frozenset({"portal_url", "unsubscribe_url"})
FIELDS = CONTACT_FIELDS | LINK_FIELDS

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


class TemplateRefused(errors.Invalid):
    """A template part that cannot be saved: its part, the field it names, and why."""

    def __init__(self, part: str, message: str, field: str | None = None) -> None:
        super().__init__(
            "Invalid template",
            f"{part}: {message}",
            errors=[{"location": f"body.{part}", "message": message}],
            **({"field": field} if field else {}),
        )
        self.part = part
        self.field = field
        self.message = message


class RenderFailed(errors.Invalid):
    """A template that cannot render for the given values (a sample of the wrong type)."""

    def __init__(self, message: str) -> None:
        super().__init__("Cannot render the template", message)


@dataclass(frozen=True, slots=True)
class TemplateContent:
    channel: Channel
    subject: str | None = None
    html: str | None = None
    text: str | None = None
    body: str | None = None

    def parts(self) -> dict[str, str]:
        """The parts this channel renders, by name."""
        if self.channel == "sms":
            return {"body": self.body or ""}
        return {
            name: value
            for name, value in (("subject", self.subject), ("html", self.html), ("text", self.text))
            if value is not None
        }

    def uses(self) -> set[str]:
        """Every field any part names (after `check` passed)."""
        names: set[str] = set()
        for source in self.parts().values():
            names |= meta.find_undeclared_variables(_env.parse(source))
        return names


def check(content: TemplateContent) -> None:
    """Refuse a template that does not parse or names a field outside the catalogue."""
    if content.channel == "sms":
        for part in ("subject", "html", "text"):
            if getattr(content, part) is not None:
                raise TemplateRefused(part, "an SMS template has a body only")
        if not (content.body or "").strip():
            raise TemplateRefused("body", "an SMS template needs a body")
    if content.channel == "email":
        if content.body is not None:
            raise TemplateRefused("body", "an email template has subject, html and text")
        if not (content.subject or "").strip():
            raise TemplateRefused("subject", "an email template needs a subject")
        if not (content.html or content.text):
            raise TemplateRefused("html", "an email template needs an HTML or a text body")
    for part, source in content.parts().items():
        try:
            names = meta.find_undeclared_variables(_env.parse(source))
        except TemplateSyntaxError as exc:
            raise TemplateRefused(part, f"line {exc.lineno}: {exc.message}") from exc
        unknown = sorted(names - FIELDS)
        if unknown:
            raise TemplateRefused(
                part,
                f"unknown field {unknown[0]!r}" + (f" (and {unknown[1:]})" if unknown[1:] else ""),
                field=unknown[0],
            )


class _Extra(dict[str, str]):
    # An extra column one contact's upload lacked renders empty: extra columns vary by file,
    # so they cannot be checked when the template is saved.
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str | None
    html: str | None
    text: str | None
    body: str | None


def render(content: TemplateContent, context: Mapping[str, Any]) -> Rendered:
    """The message for one contact; `context` holds the catalogue's fields."""
    try:
        return _render(content, context)
    except TemplateError as exc:
        # The sandbox refusing an attribute, a filter given the wrong type, a missing key.
        raise RenderFailed(exc.message or type(exc).__name__) from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise RenderFailed(str(exc)) from exc


@functools.lru_cache(maxsize=512)
def _compiled(source: str, *, html: bool = False) -> Template:
    # Compiling is what costs (~1 ms a part); a campaign renders one template for each of
    # its contacts, so each part is compiled once per process.
    return (_html_env if html else _env).from_string(source)


def _render(content: TemplateContent, context: Mapping[str, Any]) -> Rendered:
    values = dict(context)
    values["extra"] = _Extra(values.get("extra") or {})
    if content.channel == "sms":
        return Rendered(None, None, None, _compiled(content.body or "").render(values))
    subject = _compiled(content.subject or "").render(values)
    html = _compiled(content.html, html=True).render(values) if content.html else None
    if content.text is not None:
        text = _compiled(content.text).render(values)
    else:
        text = html_to_text(html or "")
    return Rendered(" ".join(subject.split()), html, text, None)


class _TextOf(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.out.append("\n")
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            self.out.append(f" ({self._href})")
            self._href = None
        if tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_text(html: str) -> str:
    """The text part derived from the HTML part (links kept in brackets)."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    return "\n".join(line for line in lines if line).strip()


# GSM 03.38: the basic set, and the extension set whose characters take two septets.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def sms_segments(text: str) -> Segments:
    """How many SMS parts a text takes: GSM-7 (160, or 153 per part of a long message) when
    every character is in the GSM set, else UCS-2 (70, or 67 per part; UTF-16 code units)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else math.ceil(units / part)
    return Segments(encoding, units, count)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A tenant's saved template; `version` grows by one with every update."""

    id: str
    tenant_id: str
    name: str
    content: TemplateContent
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def new(
        cls, *, id: str, tenant_id: str, name: str, content: TemplateContent, now: datetime
    ) -> "MessageTemplate":
        """A checked template (TemplateRefused when it cannot be saved)."""
        check(content)
        return cls(id, tenant_id, name, content, 1, now, now)

    @classmethod
    def from_document(
        cls,
        *,
        id: str,
        tenant_id: str,
        name: str,
        content: TemplateContent,
        version: int,
        created_at: datetime,
        updated_at: datetime,
    ) -> "MessageTemplate":
        """For repositories only: what was checked when it was saved, unchecked again."""
        return cls(id, tenant_id, name, content, version, created_at, updated_at)

    def revised(self, *, name: str, content: TemplateContent, now: datetime) -> "MessageTemplate":
        """The template with new content, checked as a new one is."""
        check(content)
        return replace(self, name=name, content=content, version=self.version + 1, updated_at=now)


# The contact a preview renders for when the caller names no values of its own.
SAMPLE_CONTEXT: dict[str, Any] = {
    "contact_id": "sample",
    "first_name": "Ana",
    "last_name": "García",
    "full_name": "Ana García",
    "company_name": "",
    "customer_id": "C-1001",
    "external_id": "",
    "email": "ana@example.com",
    "phone": "+14155550100",
    "address": "1 Main St",
    "city": "Springfield",
    "state": "CA",
    "postcode": "94105",
    "country": "US",
    "time_zone": "America/Los_Angeles",
    "accounts": [{"number": "A-1001", "balance": "120.50", "currency": "USD"}],
    "account_number": "A-1001",
    "balance": "120.50",
    "currency": "USD",
    "extra": {},
    "portal_url": "https://portal.example/p/sample",
    "unsubscribe_url": "https://portal.example/u/sample",
}


def preview(content: TemplateContent, values: Mapping[str, Any] | None = None) -> Rendered:
    """The template rendered for the sample contact, with the caller's values over it."""
    return render(content, SAMPLE_CONTEXT | dict(values or {}))
