"""Translations folded into the templates when compiled render what gettext would."""

import pytest
from babel.support import Translations
from jinja2 import DictLoader, Environment, select_autoescape
from listflow.kit.languages import translations
from listflow.portal.entrypoints.web import HERE, TranslatedWhenCompiled, environment

SOURCE = (
    '{{ _("Your accounts") }}|{{ _("Hello %(name)s.", name=who) }}|'
    "<a aria-label=\"{{ _('Language') }}\">|{{ _('Hello %(name)s.', name=(who ~ '!')|upper) }}|"
    '{{ _("Hello %(name)s.", name=shout(who, 2)) if who else _("Accounts") }}|'
    '{{ _("Your accounts")|length }}|{{ _("100%% of %(n)s", n=[1, 2]) }}|{{ _("Balance") ~ "&" }}'
)


def _rendered(catalogue: Translations, *, folded: bool) -> tuple[str, str]:
    env = Environment(
        loader=DictLoader({"page.html": SOURCE}),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", *([TranslatedWhenCompiled] if folded else [])],
    )
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.translate_when_compiled = catalogue.gettext  # type: ignore[attr-defined]
    env.globals["shout"] = lambda text, times: f"<{text * times}>"
    template = env.get_template("page.html")
    code = env.compile(SOURCE, "page.html", raw=True)
    return template.render(who="<Ana & Bo>"), code


@pytest.mark.parametrize("lang", ["en", "es"])
def test_folded_translations_render_as_gettext_does(lang: str) -> None:
    catalogue = translations(HERE / "locales", lang)
    folded, code = _rendered(catalogue, folded=True)
    at_run_time, _ = _rendered(catalogue, folded=False)
    assert folded == at_run_time
    assert "&lt;Ana &amp; Bo&gt;" in folded  # values are still escaped
    assert "_gettext_alias" not in code and "'_'" not in code


def test_the_spanish_pages_are_compiled_in_spanish() -> None:
    env = environment("es")
    source = env.loader.get_source(env, "accounts.html")[0]  # type: ignore[union-attr]
    code = env.compile(source, "accounts.html", raw=True)
    assert "Sus cuentas" in code
    assert "'_'" not in code
