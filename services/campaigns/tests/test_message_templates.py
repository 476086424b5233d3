"""Message-template use cases over the in-memory fake: checks at save, versions, preview."""

import itertools
from datetime import UTC, datetime

import pytest
from listflow.campaigns.adapters.memory_repository import InMemoryTemplateRepository
from listflow.campaigns.domain.errors import Conflict, NotFound
from listflow.campaigns.domain.templates import TemplateContent, TemplateRefused, check
from listflow.campaigns.handlers import Templates
from listflow.kit.problems import refusal_status

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def templates() -> Templates:
    ids = (f"t{n}" for n in itertools.count(1))
    return Templates(InMemoryTemplateRepository(), lambda: NOW, new_id=lambda: next(ids))


EMAIL = TemplateContent(
    "email", subject="Account {{ account_number }}", html="<p>Hi {{ first_name }}</p>"
)


async def test_a_template_is_created_read_updated_and_deleted() -> None:
    uc = templates()
    created = await uc.create("acme", "Reminder", EMAIL)
    assert (await uc.get("acme", created.id)).content == EMAIL
    sms = TemplateContent("sms", body="Hi {{ first_name }}")
    updated = await uc.update("acme", created.id, "Reminder SMS", sms, version=1)
    assert updated.version == 2 and updated.content == sms
    assert [t.name for t in await uc.list("acme")] == ["Reminder SMS"]
    await uc.delete("acme", created.id)
    with pytest.raises(NotFound):
        await uc.get("acme", created.id)


async def test_another_tenants_template_is_not_found() -> None:
    uc = templates()
    created = await uc.create("acme", "Reminder", EMAIL)
    assert await uc.list("globex") == []
    with pytest.raises(NotFound):
        await uc.get("globex", created.id)
    with pytest.raises(NotFound):
        await uc.update("globex", created.id, "x", EMAIL)
    with pytest.raises(NotFound):
        await uc.delete("globex", created.id)


async def test_a_stale_version_is_a_conflict() -> None:
    uc = templates()
    created = await uc.create("acme", "Reminder", EMAIL)
    await uc.update("acme", created.id, "Again", EMAIL, version=1)
    with pytest.raises(Conflict) as conflict:
        await uc.update("acme", created.id, "Late", EMAIL, version=1)
    assert refusal_status(conflict.value) == 409


async def test_an_unknown_field_is_refused_at_save_as_a_422_naming_it() -> None:
    uc = templates()
    with pytest.raises(TemplateRefused) as refused:
        await uc.create("acme", "Bad", TemplateContent("sms", body="Hi {{ nickname }}"))
    assert refusal_status(refused.value) == 422
    assert refused.value.extensions["field"] == "nickname"
    assert refused.value.extensions["errors"][0]["location"] == "body.body"
    assert await uc.list("acme") == []


@pytest.mark.parametrize(
    "content",
    [
        TemplateContent("sms", body="x", subject="s"),
        TemplateContent("email", subject="s", text="t", body="x"),
        TemplateContent("email", subject="  ", text="t"),
        TemplateContent("email", subject="s"),
        TemplateContent("sms", body="{% for %}"),
    ],
)
def test_parts_that_do_not_fit_the_channel_are_refused(content: TemplateContent) -> None:
    with pytest.raises(TemplateRefused):
        check(content)


async def test_preview_renders_the_sample_with_the_callers_values_over_it() -> None:
    uc = templates()
    created = await uc.create("acme", "Reminder", EMAIL)
    _, out = await uc.preview("acme", created.id, {"first_name": "Bo"})
    assert out.subject == "Account A-1001"
    assert out.html == "<p>Hi Bo</p>"
    assert out.text == "Hi Bo"
