"""The email as the SMTP adapter builds it: one-click unsubscribe headers (RFC 8058), the
deterministic Message-ID, text and HTML parts; on the wire, a long unsubscribe link stays a
plain header."""

from email import message_from_bytes, policy

import pytest
from listflow.campaigns.adapters.smtp_sender import build_message, wire_bytes
from listflow.campaigns.ports import OutgoingEmail

EMAIL = OutgoingEmail(
    message_id="<m1@lists.example>",
    to="ana@example.com",
    subject="Your account AC-1",
    html="<p>Pay here</p><p><a href='https://lists.example/u/tok'>Unsubscribe</a></p>",
    text="Pay here. Unsubscribe: https://lists.example/u/tok",
    unsubscribe_url="https://lists.example/u/tok",
    unsubscribe_mailto="mailto:unsubscribe+tok@lists.example",
)


def test_the_email_carries_one_click_unsubscribe_and_its_own_message_id() -> None:
    raw = build_message(EMAIL, "Listflow <noreply@lists.example>").as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Message-ID"] == "<m1@lists.example>"
    assert parsed["List-Unsubscribe"].strip() == (  # folded when long
        "<https://lists.example/u/tok>, <mailto:unsubscribe+tok@lists.example>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["To"] == "ana@example.com"
    assert parsed["Subject"] == "Your account AC-1"
    parts = {p.get_content_type(): p.get_content() for p in parsed.iter_parts()}
    assert "https://lists.example/u/tok" in parts["text/plain"]
    assert "https://lists.example/u/tok" in parts["text/html"]


def test_a_text_only_template_sends_a_single_text_part() -> None:
    text_only = OutgoingEmail(
        message_id=EMAIL.message_id,
        to=EMAIL.to,
        subject=EMAIL.subject,
        html=None,
        text=EMAIL.text,
        unsubscribe_url=EMAIL.unsubscribe_url,
        unsubscribe_mailto=EMAIL.unsubscribe_mailto,
    )
    parsed = message_from_bytes(build_message(text_only, "x@lists.example").as_bytes())
    assert parsed.get_content_type() == "text/plain"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_long_unsubscribe_link_goes_on_the_wire_as_plain_text_not_encoded_words() -> None:
    token = "YWNtZS1kZjE5MDk." + "dcee784b-c18a-5586-9090-f757bc376a84." + "0a99" * 8
    long_links = OutgoingEmail(
        message_id=EMAIL.message_id,
        to=EMAIL.to,
        subject=EMAIL.subject,
        html=EMAIL.html,
        text=EMAIL.text,
        unsubscribe_url=f"https://lists.example/u/{token}",
        unsubscribe_mailto=f"mailto:unsubscribe+{token}@lists.example",
    )
    raw = wire_bytes(build_message(long_links, "Listflow <noreply@lists.example>"))
    assert b"=?utf-8?" not in raw
    header = f"List-Unsubscribe: <https://lists.example/u/{token}>, <mailto:unsubscribe+{token}"
    assert header.encode() in raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_non_ascii_subject_and_bodies_arrive_as_written() -> None:
    accented = OutgoingEmail(
        message_id=EMAIL.message_id,
        to=EMAIL.to,
        subject="Váš účet AC-1 – připomínka",
        html="<p>Dobrý den, Jiří</p>",
        text="Dobrý den, Jiří",
        unsubscribe_url=EMAIL.unsubscribe_url,
        unsubscribe_mailto=EMAIL.unsubscribe_mailto,
    )
    raw = wire_bytes(build_message(accented, "Listflow <noreply@lists.example>"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Váš účet AC-1 – připomínka"
    parts = {p.get_content_type(): p.get_content() for p in parsed.iter_parts()}
    assert parts["text/plain"].strip() == "Dobrý den, Jiří"
    assert parts["text/html"].strip() == "<p>Dobrý den, Jiří</p>"


def test_the_relay_sign_in_goes_in_pairs_and_never_in_the_clear_outside_local_runs() -> None:
    from listflow.campaigns.config import Settings
    from pydantic import SecretStr, ValidationError

    production = {
        "environment": "production",
        "pii_secret": SecretStr("a-real-secret-of-production-" + "x" * 20),
        "api_keys": {"t1": ["digest"]},
        "campaigns_sms_webhook_secret": SecretStr("whsec_b3du"),
        "campaigns_sms_provider_key": SecretStr("own-key"),
    }
    with pytest.raises(ValidationError, match="go together"):
        Settings(**production, campaigns_smtp_username="relay")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="LISTFLOW_CAMPAIGNS_SMTP_TLS must be"):
        Settings(
            **production,  # type: ignore[arg-type]
            campaigns_smtp_username="relay",
            campaigns_smtp_password=SecretStr("pw"),
        )
    signed_in = Settings(
        **production,  # type: ignore[arg-type]
        campaigns_smtp_tls="starttls",
        campaigns_smtp_username="relay",
        campaigns_smtp_password=SecretStr("pw"),
    )
    assert signed_in.campaigns_smtp_password is not None
    # A local relay (Mailpit) may take a password without TLS.
    assert Settings(campaigns_smtp_username="u", campaigns_smtp_password=SecretStr("p"))


def test_the_wire_policy_writes_the_same_bytes_as_compat32() -> None:
    # Headers that need no folding are written as they are, others as compat32 folds them.
    compat32 = policy.compat32.clone(linesep="\r\n", max_line_length=998)
    for email in (
        EMAIL,
        OutgoingEmail(
            message_id=EMAIL.message_id,
            to="Jiří <jiri@example.com>",
            subject="Váš účet AC-1 – připomínka " * 8,
            html=None,
            text="x",
            unsubscribe_url="https://lists.example/u/" + "t" * 1200,
            unsubscribe_mailto=EMAIL.unsubscribe_mailto,
        ),
    ):
        message = build_message(email, "Listflow <noreply@lists.example>")
        assert wire_bytes(message) == message.as_bytes(policy=compat32)
