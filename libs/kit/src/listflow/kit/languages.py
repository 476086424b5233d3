"""The language of a server-rendered page: the visitor's Accept-Language against the
languages a service has catalogues for, and those catalogues (gettext, by Babel)."""

import io
from collections.abc import Sequence
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations


def negotiated(accept_language: str, languages: Sequence[str]) -> str:
    """The best of `languages` for an Accept-Language header (the first when none fits)."""
    preferred = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag:
            preferred.append((weight, tag.replace("-", "_")))
    ordered = [tag for _, tag in sorted(preferred, key=lambda p: -p[0])]
    return negotiate_locale(ordered, list(languages)) or languages[0]


def translations(locales: Path, lang: str) -> Translations:
    """The catalogue `locales/<lang>/LC_MESSAGES/messages.po`, compiled in memory (no .mo
    file to keep in step); none (the source strings) when it does not exist."""
    po = locales / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return Translations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)
