"""The email as the SMTP adapter builds it: one-click unsubscribe headers (RFC 8058), the
deterministic Message-ID, text and HTML parts."""

from email import message_from_bytes, policy

from listflow.campaigns.adapters.smtp_sender import build_message
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
