from datetime import timedelta

from listflow.contacts.domain.model import Contact, Origin, name_words
from listflow.schemas.values import (
    Account,
    Consents,
    ConsentSource,
    ContactData,
    MergeMode,
    Phone,
)

from .conftest import NOW

LATER = NOW + timedelta(hours=1)
UPLOAD = Origin(ConsentSource.UPLOAD, upload_id="u1", row_number=3)


def contact(cid: str = "c1", **fields: object) -> Contact:
    return Contact.new(
        id=cid, tenant_id="t", data=ContactData(**fields), group_id="g", now=NOW, origin=UPLOAD
    )


def test_consents_given_on_creation_record_their_upload_row_and_time() -> None:
    c = contact(consents=Consents(email=True))
    (record,) = c.consent_sources
    assert (record.channel, record.granted, record.source) == ("email", True, "upload")
    assert (record.upload_id, record.row_number, record.at) == ("u1", 3, NOW)


def test_a_changed_consent_records_its_new_source_and_an_unchanged_one_keeps_its_own() -> None:
    c = contact(consents=Consents(email=True, sms=True))
    api = Origin(ConsentSource.API, request_id="r1")
    updated = c.merged(
        ContactData(consents=Consents(email=False, sms=True)),
        MergeMode.OVERWRITE,
        group_id=None,
        now=LATER,
        source=api.source,
        origin=api,
    )
    by_channel = {r.channel: r for r in updated.consent_sources}
    assert by_channel["email"].granted is False and by_channel["email"].source == "api"
    assert by_channel["email"].at == LATER
    assert by_channel["sms"].source == "upload" and by_channel["sms"].at == NOW


def test_restating_the_same_consent_changes_nothing() -> None:
    c = contact(consents=Consents(email=True))
    same = c.merged(
        ContactData(consents=Consents(email=True)),
        MergeMode.OVERWRITE,
        group_id="g",
        now=LATER,
        source="u2:1",
    )
    assert same is c


def test_absorbing_duplicates_keeps_survivor_values_in_fill_blanks_and_unites_lists() -> None:
    survivor = contact("c1", first_name="Ana", accounts=(Account(number="A1"),))
    dup = Contact.new(
        id="c2",
        tenant_id="t",
        data=ContactData(
            first_name="Anna",
            last_name="García",
            accounts=(Account(number="A2"),),
            phones=(Phone(e164="+14155550100"),),
            consents=Consents(sms=True),
        ),
        group_id="g2",
        now=NOW,
        origin=Origin(ConsentSource.UPLOAD, upload_id="u9", row_number=1),
    )
    merged = survivor.absorbed([dup], MergeMode.FILL_BLANKS, now=LATER, request_id="m1")
    assert merged.data.first_name == "Ana"
    assert merged.data.last_name == "García"
    assert [a.number for a in merged.data.accounts] == ["A1", "A2"]
    assert merged.group_ids == ("g", "g2")
    assert merged.version == 2
    # The consent came from the duplicate's upload: its provenance travels with it.
    (record,) = merged.consent_sources
    assert record.upload_id == "u9"
    overwritten = survivor.absorbed([dup], MergeMode.OVERWRITE, now=LATER, request_id="m1")
    assert overwritten.data.first_name == "Anna"


def test_removing_a_group_or_tag() -> None:
    c = contact(tags=("VIP", "late"))
    assert c.without(tag="vip", now=LATER).data.tags == ("late",)
    assert c.without(group_id="g", now=LATER).group_ids == ()
    assert c.without(group_id="other", now=LATER) is c


def test_name_words_fold_case_and_accents() -> None:
    data = ContactData(first_name="José María", last_name="GARCÍA-López")
    assert name_words(data) == ["jose", "maria", "garcia", "lopez"]


def test_search_terms_cover_tags_groups_and_names() -> None:
    terms = contact(first_name="Ana", tags=("VIP",)).search_terms()
    assert ("tag", "vip") in terms and ("group", "g") in terms and ("name", "ana") in terms


def test_deletion_snapshot_supersedes_the_last_version() -> None:
    c = contact(first_name="Ana")
    snap = c.deletion_snapshot(LATER)
    assert snap.version == 2 and snap.updated_at == LATER
