import pytest
from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.domain.errors import Conflict, Invalid, NotFound
from listflow.contacts.domain.input import FieldNormalizer
from listflow.contacts.handlers import merge_rows
from listflow.contacts.manage import (
    Tools,
    contact_filter,
    create_contact,
    create_label,
    delete_contacts,
    delete_label,
    merge_contacts,
    preview_deletion,
    update_contact,
)
from listflow.kit.pii import Protector
from listflow.schemas.events import ContactDeleted, ContactMerged, ContactUpdated
from listflow.schemas.values import MatchKey, MatchPolicy, MergeMode, OnOneMatch, RowStatus

from .conftest import NOW, RecordingSink, row


def tools(sink: RecordingSink, repo: InMemoryContactRepository | None = None) -> Tools:
    return Tools(
        repository=repo or InMemoryContactRepository(),
        events=sink,
        clock=lambda: NOW,
        normalizer=FieldNormalizer(Protector("unit-test-secret-0123456789"), "US"),
        confirmation_key=b"k" * 32,
    )


def statuses(sink: RecordingSink) -> dict[int, tuple[RowStatus, str | None]]:
    return {o.row_number: (o.status, o.reason) for b in sink.outcomes for o in b.outcomes}


async def test_a_row_naming_an_undefined_tag_fails_with_a_reason(sink: RecordingSink) -> None:
    t = tools(sink)
    await create_label(t, "tag", "t1", "VIP", None)
    rows = [
        row(1, account="A1", tags=("vip",), create_missing_tags=False),
        row(2, account="A2", tags=("late",), create_missing_tags=False),
    ]
    await merge_rows(rows, t.repository, sink, t.clock)
    result = statuses(sink)
    assert result[1] == (RowStatus.IMPORTED, None)
    assert result[2][0] is RowStatus.FAILED and "'late'" in (result[2][1] or "")
    (created,) = [c for c in t.repository.contacts.values()]  # type: ignore[attr-defined]
    assert created.data.tags == ("VIP",)


async def test_create_missing_tags_defines_them(sink: RecordingSink) -> None:
    t = tools(sink)
    await merge_rows(
        [row(1, account="A1", tags=("Late",), create_missing_tags=True)],
        t.repository,
        sink,
        t.clock,
    )
    assert statuses(sink)[1][0] is RowStatus.IMPORTED
    assert await t.repository.defined_tags("t1", {"late"}) == {"late": "Late"}


async def test_created_by_hand_matches_like_a_row(sink: RecordingSink) -> None:
    t = tools(sink)
    status, first = await create_contact(
        t,
        "t1",
        {"first_name": "Ana", "phones": ["(415) 555-2671"], "ssn": "123-45-6789"},
        groups=[],
        match=MatchPolicy(),
        idempotency_key=None,
    )
    assert status is RowStatus.IMPORTED
    assert first.data.phones[0].e164 == "+14155552671"
    assert first.data.ssn is not None and first.data.ssn.last4 == "6789"
    status, second = await create_contact(
        t,
        "t1",
        {"last_name": "García", "phones": ["+1 415 555 2671"]},
        groups=[],
        match=MatchPolicy(),
        idempotency_key=None,
    )
    assert status is RowStatus.UPDATED and second.id == first.id
    assert second.data.first_name == "Ana" and second.data.last_name == "García"
    with pytest.raises(Conflict):
        await create_contact(
            t,
            "t1",
            {"phones": ["+14155552671"]},
            groups=[],
            match=MatchPolicy(on_one_match=OnOneMatch.SKIP),
            idempotency_key=None,
        )


async def test_invalid_fields_and_unknown_tags_are_refused(sink: RecordingSink) -> None:
    t = tools(sink)
    with pytest.raises(Invalid) as error:
        await create_contact(
            t,
            "t1",
            {"phones": ["12"], "emails": ["nope"], "ssn": "000-00-0000"},
            groups=[],
            match=MatchPolicy(),
            idempotency_key=None,
        )
    fields = {e["field"] for e in error.value.errors}
    assert fields == {"phones.0", "emails.0", "ssn"}
    assert "000-00-0000" not in str(error.value.errors)
    with pytest.raises(Invalid):
        await create_contact(
            t, "t1", {"tags": ["ghost"]}, groups=[], match=MatchPolicy(), idempotency_key=None
        )


async def test_update_is_versioned(sink: RecordingSink) -> None:
    t = tools(sink)
    _, c = await create_contact(
        t, "t1", {"first_name": "Ana"}, groups=[], match=MatchPolicy(), idempotency_key="k1"
    )
    updated = await update_contact(t, "t1", c.id, 1, {"first_name": "Anna"}, None)
    assert updated.version == 2 and updated.data.first_name == "Anna"
    assert isinstance(sink.changes[-1], ContactUpdated)
    with pytest.raises(Conflict):
        await update_contact(t, "t1", c.id, 1, {"first_name": "Ann"}, None)


async def test_deletion_needs_the_token_of_its_preview(sink: RecordingSink) -> None:
    t = tools(sink)
    _, a = await create_contact(
        t, "t1", {"emails": ["a@x.com"]}, groups=[], match=MatchPolicy(), idempotency_key=None
    )
    _, b = await create_contact(
        t, "t1", {"emails": ["b@x.com"]}, groups=[], match=MatchPolicy(), idempotency_key=None
    )
    preview = await preview_deletion(t, "t1", [a.id, b.id, "nope"])
    assert {c.id for c in preview.contacts} == {a.id, b.id} and preview.not_found == ["nope"]
    with pytest.raises(Conflict):
        await delete_contacts(t, "t1", [a.id, b.id], "0.bad")
    with pytest.raises(NotFound):
        await delete_contacts(t, "t2", [a.id, b.id], preview.token)
    deleted, kept = await delete_contacts(t, "t1", [a.id, b.id], preview.token)
    assert set(deleted) == {a.id, b.id} and kept == []
    gone = [e for e in sink.changes if isinstance(e, ContactDeleted)]
    assert {e.contact.id for e in gone} == {a.id, b.id}
    assert all(e.contact.version == 2 for e in gone)
    # The released key lets a new contact be created under it again.
    status, again = await create_contact(
        t, "t1", {"emails": ["a@x.com"]}, groups=[], match=MatchPolicy(), idempotency_key=None
    )
    assert status is RowStatus.IMPORTED and again.id != a.id


async def test_merge_folds_duplicates_and_announces_it(sink: RecordingSink) -> None:
    t = tools(sink)
    _, a = await create_contact(
        t,
        "t1",
        {"first_name": "Ana", "emails": ["a@x.com"]},
        groups=[],
        match=MatchPolicy(),
        idempotency_key=None,
    )
    _, b = await create_contact(
        t,
        "t1",
        {"first_name": "Anna", "last_name": "Gil", "emails": ["b@x.com"]},
        groups=[],
        match=MatchPolicy(),
        idempotency_key=None,
    )
    merged = await merge_contacts(t, "t1", a.id, [b.id], MergeMode.FILL_BLANKS)
    assert merged.data.first_name == "Ana" and merged.data.last_name == "Gil"
    assert set(merged.data.emails) == {"a@x.com", "b@x.com"}
    assert await t.repository.get("t1", b.id) is None
    kinds = [type(e) for e in sink.changes[-2:]]
    assert kinds == [ContactMerged, ContactDeleted]
    with pytest.raises(Invalid):
        await merge_contacts(t, "t1", a.id, [a.id], MergeMode.FILL_BLANKS)


async def test_deleting_a_tag_strips_it_from_contacts(sink: RecordingSink) -> None:
    t = tools(sink)
    await create_label(t, "tag", "t1", "VIP", None)
    _, c = await create_contact(
        t,
        "t1",
        {"first_name": "Ana", "tags": ["vip"]},
        groups=[],
        match=MatchPolicy(),
        idempotency_key=None,
    )
    assert c.data.tags == ("VIP",)
    assert await delete_label(t, "tag", "t1", "VIP") == 1
    stored = await t.repository.get("t1", c.id)
    assert stored is not None and stored.data.tags == ()


async def test_filters_find_by_normalized_phone_email_tag_and_name(sink: RecordingSink) -> None:
    t = tools(sink)
    await create_label(t, "tag", "t1", "VIP", None)
    _, c = await create_contact(
        t,
        "t1",
        {"first_name": "José", "phones": ["4155552671"], "emails": ["Jo@X.com"], "tags": ["VIP"]},
        groups=[],
        match=MatchPolicy(key=MatchKey.PHONE),
        idempotency_key=None,
    )
    for kwargs in (
        {"phone": "(415) 555-2671"},
        {"email": "jo@x.com"},
        {"tag": "vip"},
        {"name": "jose"},
    ):
        filters = contact_filter(
            "t1",
            **{"tag": None, "phone": None, "email": None, "name": None, **kwargs},  # type: ignore[arg-type]
            updated_since=None,
            region="US",
        )
        page = await t.repository.page("t1", group_id=None, limit=10, cursor=None, filters=filters)
        assert [x.id for x in page.items] == [c.id], kwargs
    with pytest.raises(Invalid):
        contact_filter(
            "t1", tag=None, phone="12", email=None, name=None, updated_since=None, region="US"
        )
