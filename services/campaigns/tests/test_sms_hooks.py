"""The SMS use cases on the fakes: replies (STOP, START, HELP), status callbacks moving the
ledger once, and the suppression list as operators manage it."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from listflow.campaigns.adapters.memory_repository import InMemorySuppressions
from listflow.campaigns.domain.model import MessageState
from listflow.campaigns.domain.sms import Keyword, keyword
from listflow.campaigns.ports import Message
from listflow.campaigns.sms import STARTED, STOPPED, SmsInbound, SmsStatuses, Suppressions
from listflow.kit.errors import Invalid, NotFound
from listflow.schemas.campaigns import (
    MessageDelivered,
    MessageEvent,
    MessageFailed,
    MessageSent,
    SuppressionReason,
)
from listflow.schemas.normalize import PhoneNormalizer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NUMBER = "+14155550100"
OPT_OUT = SuppressionReason.SMS_OPT_OUT


class FakeLedger:
    """The two ledger calls the status hook makes, with the ledger's compare-and-set."""

    def __init__(self, *messages: Message) -> None:
        self.messages = {m.id: m for m in messages}

    async def find_message(self, message_id: str) -> Message | None:
        return self.messages.get(message_id)

    async def transition(
        self,
        message: Message,
        to: MessageState,
        *,
        from_states: Sequence[MessageState],
        **fields: object,
    ) -> bool:
        current = self.messages[message.id]
        if current.state not in from_states:
            return False
        error = fields.get("error")
        self.messages[message.id] = replace(
            current, state=to, error=str(error) if error is not None else current.error
        )
        return True


class Events:
    def __init__(self) -> None:
        self.published: list[MessageEvent] = []

    async def publish(self, events: Sequence[MessageEvent]) -> None:
        self.published.extend(events)


def message(state: MessageState = MessageState.SENDING, channel: str = "sms") -> Message:
    return Message(
        id="m1",
        tenant_id="t1",
        campaign_id="c1",
        contact_id="k1",
        channel=channel,  # type: ignore[arg-type]
        state=state,
        created_at=NOW,
        due_at=NOW,
        address=NUMBER,
    )


@pytest.fixture
def suppressions() -> InMemorySuppressions:
    return InMemorySuppressions()


async def help_text(tenant_id: str) -> str:
    return f"Help for {tenant_id}"


def inbound(suppressions: InMemorySuppressions) -> SmsInbound:
    return SmsInbound(suppressions, help_text, PhoneNormalizer("US"), lambda: NOW)


@pytest.mark.parametrize(
    "body", ["STOP", "stop", "  Stop \n", "STOPALL", "unsubscribe", "Cancel", "END", "quit"]
)
async def test_every_opt_out_keyword_suppresses_the_number(
    suppressions: InMemorySuppressions, body: str
) -> None:
    assert await inbound(suppressions).on_reply("t1", "in1", NUMBER, body) == STOPPED
    stored = await suppressions.get_suppression("t1", "sms", NUMBER)
    assert stored is not None
    assert (stored.reason, stored.by, stored.at) == (OPT_OUT, "sms:inbound", NOW)
    assert await suppressions.suppression("t2", "sms", NUMBER) is None


@pytest.mark.parametrize("body", ["stop it", "please STOP", "STOP.", "", "hello", "STARTS"])
async def test_a_keyword_counts_only_as_the_whole_message(
    suppressions: InMemorySuppressions, body: str
) -> None:
    assert keyword(body) is None
    assert await inbound(suppressions).on_reply("t1", "in1", NUMBER, body) is None
    assert await suppressions.list_suppressions("t1") == []


@pytest.mark.parametrize("body", ["START", " unstop "])
async def test_start_lifts_the_opt_out(suppressions: InMemorySuppressions, body: str) -> None:
    hooks = inbound(suppressions)
    await hooks.on_reply("t1", "in1", NUMBER, "STOP")
    assert await hooks.on_reply("t1", "in2", NUMBER, body) == STARTED
    assert await suppressions.suppression("t1", "sms", NUMBER) is None
    audit = await suppressions.changes("t1", "sms", NUMBER)
    assert [(c.action, c.by, c.at) for c in audit] == [
        ("suppressed", "sms:inbound", NOW),
        ("lifted", "sms:inbound", NOW),
    ]


async def test_start_leaves_an_operators_suppression_alone(
    suppressions: InMemorySuppressions,
) -> None:
    await suppressions.suppress("t1", "sms", NUMBER, SuppressionReason.HARD_BOUNCE, NOW, by="api")
    assert await inbound(suppressions).on_reply("t1", "in1", NUMBER, "START") == STARTED
    assert await suppressions.suppression("t1", "sms", NUMBER) is SuppressionReason.HARD_BOUNCE


async def test_help_answers_with_the_tenants_text_and_suppresses_nothing(
    suppressions: InMemorySuppressions,
) -> None:
    assert keyword(" help ") is Keyword.HELP
    assert await inbound(suppressions).on_reply("t2", "in1", NUMBER, "help") == "Help for t2"
    assert await suppressions.list_suppressions("t2") == []


async def test_a_reply_from_no_valid_number_changes_nothing(
    suppressions: InMemorySuppressions,
) -> None:
    assert await inbound(suppressions).on_reply("t1", "in1", "not a number", "STOP") is None
    assert await suppressions.list_suppressions("t1") == []


def statuses(ledger: FakeLedger, events: Events) -> SmsStatuses:
    return SmsStatuses(ledger, events, lambda: NOW)


async def test_sent_then_delivered_moves_the_message_and_says_so_once() -> None:
    ledger, events = FakeLedger(message()), Events()
    hooks = statuses(ledger, events)
    assert await hooks.on_status("m1", "queued", "SM1", None) is False
    assert await hooks.on_status("m1", "sent", "SM1", None) is True
    assert await hooks.on_status("m1", "delivered", "SM1", None) is True
    assert ledger.messages["m1"].state is MessageState.DELIVERED
    # The provider's retries and a late "sent": nothing moves, nothing more is published.
    assert await hooks.on_status("m1", "delivered", "SM1", None) is False
    assert await hooks.on_status("m1", "sent", "SM1", None) is False
    assert await hooks.on_status("m1", "failed", "SM1", "late") is False
    assert ledger.messages["m1"].state is MessageState.DELIVERED
    assert [type(e) for e in events.published] == [MessageSent, MessageDelivered]
    delivered = events.published[1]
    assert (delivered.tenant_id, delivered.message_id, delivered.contact_id) == ("t1", "m1", "k1")


@pytest.mark.parametrize("status", ["failed", "undelivered"])
async def test_a_failure_records_the_providers_reason(status: str) -> None:
    ledger, events = FakeLedger(message(MessageState.SENT)), Events()
    assert await statuses(ledger, events).on_status("m1", status, "SM1", "unreachable") is True
    assert ledger.messages["m1"].state is MessageState.FAILED
    assert ledger.messages["m1"].error == "unreachable"
    [failed] = events.published
    assert isinstance(failed, MessageFailed)
    assert failed.error == "unreachable"
    assert await statuses(ledger, events).on_status("m1", "delivered", "SM1", None) is False
    assert len(events.published) == 1


async def test_a_status_of_an_unknown_or_email_message_changes_nothing() -> None:
    ledger, events = FakeLedger(replace(message(), channel="email")), Events()
    hooks = statuses(ledger, events)
    assert await hooks.on_status("nope", "delivered", "SM1", None) is False
    assert await hooks.on_status("m1", "delivered", "SM1", None) is False
    assert ledger.messages["m1"].state is MessageState.SENDING
    assert events.published == []


def operators(suppressions: InMemorySuppressions) -> Suppressions:
    return Suppressions(suppressions, PhoneNormalizer("US"), lambda: NOW)


async def test_addresses_are_normalized_as_contacts_store_them(
    suppressions: InMemorySuppressions,
) -> None:
    api = operators(suppressions)
    stored, new = await api.add("t1", "sms", "(415) 555-0100", SuppressionReason.SMS_OPT_OUT)
    assert (stored.address, stored.by, new) == (NUMBER, "api", True)
    again, new = await api.add("t1", "sms", "+1 415 555 0100", SuppressionReason.UNSUBSCRIBED)
    assert (again.reason, new) == (OPT_OUT, False)
    email, _ = await api.add("t1", "email", " Ana@Example.COM ", SuppressionReason.UNSUBSCRIBED)
    assert email.address == "Ana@example.com"
    await api.remove("t1", "email", "Ana@EXAMPLE.com ")
    assert await suppressions.suppression("t1", "email", "Ana@example.com") is None


async def test_bad_addresses_reasons_and_cursors_are_refused(
    suppressions: InMemorySuppressions,
) -> None:
    api = operators(suppressions)
    with pytest.raises(Invalid):
        await api.add("t1", "sms", "12", SuppressionReason.SMS_OPT_OUT)
    with pytest.raises(Invalid):
        await api.add("t1", "email", "no-at-sign", SuppressionReason.UNSUBSCRIBED)
    with pytest.raises(Invalid):
        await api.add("t1", "sms", NUMBER, SuppressionReason.FREQUENCY_CAP)
    with pytest.raises(Invalid):
        await api.page("t1", channel=None, reason=None, cursor="!!", limit=10)
    with pytest.raises(NotFound):
        await api.remove("t1", "sms", NUMBER)
    assert await suppressions.list_suppressions("t1") == []


async def test_pages_follow_each_other_to_the_end(suppressions: InMemorySuppressions) -> None:
    api = operators(suppressions)
    for n in range(5):
        await api.add("t1", "sms", f"+1415555010{n}", SuppressionReason.SMS_OPT_OUT)
    seen: list[str] = []
    cursor = None
    while True:
        page = await api.page("t1", channel="sms", reason=None, cursor=cursor, limit=2)
        seen += [s.address for s in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == [f"+1415555010{n}" for n in range(5)]


def test_the_simulators_key_and_secret_are_refused_outside_local_runs() -> None:
    from listflow.campaigns.config import Settings
    from pydantic import SecretStr, ValidationError

    production = {
        "environment": "production",
        "pii_secret": SecretStr("a-real-secret-of-production-" + "x" * 20),
        "api_keys": {"t1": ["digest"]},
    }
    with pytest.raises(ValidationError, match="LISTFLOW_CAMPAIGNS_SMS_WEBHOOK_SECRET"):
        Settings(**production)  # type: ignore[arg-type]
    own = Settings(
        **production,  # type: ignore[arg-type]
        campaigns_sms_webhook_secret=SecretStr("whsec_b3du"),
        campaigns_sms_provider_key=SecretStr("own-key"),
    )
    assert own.campaigns_sms_provider_key.get_secret_value() == "own-key"
