"""Pure tests of the campaigns domain: templates, SMS segments, the rules of sending."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from listflow.campaigns.domain.model import (
    ContactView,
    Rules,
    Stats,
    decide,
    message_id,
    next_window,
)
from listflow.campaigns.domain.templates import (
    TemplateContent,
    TemplateRefused,
    check,
    html_to_text,
    render,
    sms_segments,
)
from listflow.schemas.campaigns import SuppressionReason
from listflow.schemas.values import Account, Consents, ContactData


def contact(**data: object) -> ContactView:
    values: dict[str, object] = {
        "first_name": "Ana",
        "emails": ("ana@example.com",),
        "consents": Consents(email=True, sms=True),
        "time_zone": "Europe/Madrid",
        "accounts": (Account(number="A-1", currency="EUR"),),
    }
    values.update(data)
    return ContactView(
        id="c1",
        tenant_id="t1",
        version=1,
        data=ContactData.model_validate(values),
        group_ids=(),
        upload_ids=(),
        updated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_unknown_field_is_refused_naming_it() -> None:
    content = TemplateContent("email", subject="Hi {{ frist_name }}", text="x")
    with pytest.raises(TemplateRefused) as refused:
        check(content)
    assert refused.value.part == "subject"
    assert refused.value.field == "frist_name"
    assert "frist_name" in refused.value.message


def test_syntax_error_is_refused_naming_the_part() -> None:
    with pytest.raises(TemplateRefused) as refused:
        check(TemplateContent("sms", body="Hi {{ first_name "))
    assert refused.value.part == "body"


def test_render_email_derives_text_and_escapes_html() -> None:
    content = TemplateContent(
        "email",
        subject="Account {{ account_number }}",
        html="<p>Hello {{ first_name }}, <a href='{{ portal_url }}'>pay</a></p>",
    )
    check(content)
    ctx = contact(first_name="<b>Ana</b>").context() | {"portal_url": "https://p/x"}
    out = render(content, ctx)
    assert out.subject == "Account A-1"
    assert out.html is not None and "&lt;b&gt;Ana" in out.html
    assert out.text is not None and "Hello <b>Ana</b>" in out.text and "(https://p/x)" in out.text


LETTER = (
    "<h1>Hello {{ first_name }} {{ last_name }},</h1>"
    "<p>Account {{ account_number }}: {{ balance }} {{ currency }} due.</p>"
    "<ul>{% for a in accounts %}<li>{{ a.number }}</li>{% endfor %}</ul>"
    "<p>{% if extra.note %}Note: {{ extra.note }}{% endif %}</p>"
    '<p><a href="{{ portal_url }}">Pay now</a> &amp; '
    "<a href='{{ extra.site }}'>our site</a> "
    "<a href='https://help.example/?a=1&amp;b={{ customer_id }}'>help</a><br>"
    "<a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"first_name": '<b>Ana</b> & "Jo"', "last_name": "O'Brien", "customer_id": "C&1<2>"},
        {
            "first_name": "Ana\n  María",
            "extra": {"note": "a < b & c", "site": "https://s/?x=1&y='2'"},
        },
    ],
)
def test_the_derived_text_is_the_rendered_html_as_text_with_the_values_unescaped(
    values: dict[str, object],
) -> None:
    content = TemplateContent("email", subject="Account {{ account_number }}", html=LETTER)
    check(content)
    accounts = (Account(number="A-1", currency="EUR"), Account(number="A<2>", currency="EUR"))
    ctx = contact(accounts=accounts).context() | {
        "portal_url": "https://p/x?a=1&b=2",
        "unsubscribe_url": "https://u/t'1",
        **values,
    }
    out = render(content, ctx)
    assert out.html is not None and out.text is not None
    assert out.text == html_to_text(out.html)
    # The values as they are, not as the HTML escaped them.
    for entity in ("&amp;", "&lt;", "&gt;", "&#34;", "&#39;", "&quot;"):
        assert entity not in out.text


def test_the_derived_text_keeps_values_and_links_and_leaves_out_an_empty_href() -> None:
    content = TemplateContent("email", subject="s", html=LETTER)
    account = Account(number="A-1", currency="EUR", balance=Decimal("12.50"))
    ctx = contact(
        first_name="<b>Ana</b> & Jo", last_name="O'Brien", accounts=(account,)
    ).context() | {
        "portal_url": "https://p/x?a=1&b=2",
        "unsubscribe_url": "https://u/1",
    }
    assert render(content, ctx).text == (
        "Hello <b>Ana</b> & Jo O'Brien,\n"
        "Account A-1: 12.50 EUR due.\n"
        "A-1\n"
        "Pay now (https://p/x?a=1&b=2) & our site help (https://help.example/?a=1&b=)\n"
        "Unsubscribe (https://u/1)"
    )


def test_sandbox_refuses_python_internals() -> None:
    content = TemplateContent("sms", body="{{ first_name.__class__.__mro__ }}")
    check(content)
    with pytest.raises(Exception, match=r"unsafe|undefined"):
        render(content, contact().context())


def test_missing_extra_column_renders_empty() -> None:
    content = TemplateContent("sms", body="Region: {{ extra.region }}.")
    check(content)
    assert render(content, contact().context()).body == "Region: ."


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),  # two septets each
        ("€" * 81, "GSM-7", 2),
        ("ł" * 70, "UCS-2", 1),
        ("ł" * 71, "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # two UTF-16 units each
    ],
)
def test_sms_segments(text: str, encoding: str, segments: int) -> None:
    counted = sms_segments(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


def test_quiet_hours_defer_to_the_next_local_morning() -> None:
    zone = ZoneInfo("America/New_York")
    late = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # 22:30 in New York on the 1st
    opens = next_window(late, zone, Rules())
    assert opens == datetime(2026, 3, 2, 8, 0, tzinfo=zone).astimezone(UTC)
    assert next_window(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), zone, Rules()) is None


def test_rules_in_order() -> None:
    noon = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Madrid
    base = {
        "channel": "email",
        "suppressed": None,
        "sent_recently": 0,
        "needs_link": False,
        "has_link": False,
        "now": noon,
        "rules": Rules(),
    }
    assert decide(contact=contact(), **base).send  # type: ignore[arg-type]
    no_consent = contact(consents=Consents(email=False))
    assert decide(contact=no_consent, **base).suppress is SuppressionReason.NO_CONSENT  # type: ignore[arg-type]
    unsub = base | {"suppressed": SuppressionReason.UNSUBSCRIBED}
    assert decide(contact=contact(), **unsub).suppress is SuppressionReason.UNSUBSCRIBED  # type: ignore[arg-type]
    capped = base | {"sent_recently": 7}
    assert decide(contact=contact(), **capped).suppress is SuppressionReason.FREQUENCY_CAP  # type: ignore[arg-type]
    night = base | {"now": datetime(2026, 3, 2, 23, 0, tzinfo=UTC)}
    assert decide(contact=contact(), **night).defer_until is not None  # type: ignore[arg-type]
    link = base | {"needs_link": True}
    assert decide(contact=contact(), **link).wait_link  # type: ignore[arg-type]


def test_message_id_is_one_per_campaign_contact_channel() -> None:
    assert message_id("t", "k", "c", "email") == message_id("t", "k", "c", "email")
    assert message_id("t", "k", "c", "email") != message_id("t", "k", "c", "sms")
    assert message_id("t", "k", "c", "email") != message_id("u", "k", "c", "email")


def test_stats_add_up() -> None:
    stats = Stats.of(
        [
            ("sent", None, 3),
            ("suppressed", "no_consent", 2),
            ("failed", None, 1),
            ("deferred", None, 4),
        ],
        unsubscribed=1,
    )
    suppressed = sum(stats.suppressed.values())
    assert stats.targeted == suppressed + stats.sent + stats.failed + stats.pending == 10
