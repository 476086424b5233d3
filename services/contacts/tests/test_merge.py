from decimal import Decimal

from listflow.contacts.domain.model import Contact, merge_data
from listflow.schemas.values import Account, Consents, ContactData, ExtraField, MergeMode, Phone

from .conftest import NOW


def stored() -> ContactData:
    return ContactData(
        first_name="Ana",
        last_name=None,
        phones=(Phone(e164="+14155550100"),),
        emails=("ana@example.com",),
        accounts=(Account(number="A1", balance=Decimal("10.00"), currency="USD"),),
        tags=("vip",),
        extra=(ExtraField(name="Branch", value="North"),),
        consents=Consents(email=True),
    )


def test_overwrite_replaces_given_values_and_keeps_stored_ones_for_blank_cells() -> None:
    incoming = ContactData(first_name="Anna", last_name="Smith", city=None)
    merged = merge_data(stored(), incoming, MergeMode.OVERWRITE)
    assert merged.first_name == "Anna"
    assert merged.last_name == "Smith"
    assert merged.emails == ("ana@example.com",)


def test_fill_blanks_only_sets_what_is_missing() -> None:
    incoming = ContactData(first_name="Anna", last_name="Smith")
    merged = merge_data(stored(), incoming, MergeMode.FILL_BLANKS)
    assert merged.first_name == "Ana"
    assert merged.last_name == "Smith"


def test_phones_and_emails_are_appended_without_duplicates() -> None:
    incoming = ContactData(
        phones=(Phone(e164="+14155550100"), Phone(e164="+14155550199")),
        emails=("ANA@example.com", "ana.work@example.com"),
    )
    merged = merge_data(stored(), incoming, MergeMode.OVERWRITE)
    assert [p.e164 for p in merged.phones] == ["+14155550100", "+14155550199"]
    assert merged.emails == ("ana@example.com", "ana.work@example.com")


def test_accounts_merge_by_number_so_one_customer_holds_several() -> None:
    incoming = ContactData(
        accounts=(
            Account(number="A1", balance=Decimal("25.50")),
            Account(number="B2", balance=Decimal("5"), currency="USD"),
        )
    )
    merged = merge_data(stored(), incoming, MergeMode.OVERWRITE)
    assert [(a.number, a.balance, a.currency) for a in merged.accounts] == [
        ("A1", Decimal("25.50"), "USD"),
        ("B2", Decimal("5"), "USD"),
    ]
    kept = merge_data(stored(), incoming, MergeMode.FILL_BLANKS)
    assert kept.accounts[0].balance == Decimal("10.00")


def test_tags_united_and_extra_columns_merged() -> None:
    incoming = ContactData(tags=("VIP", "march"), extra=(ExtraField(name="Agent", value="Bo"),))
    merged = merge_data(stored(), incoming, MergeMode.OVERWRITE)
    assert merged.tags == ("vip", "march")
    assert {f.name: f.value for f in merged.extra} == {"Branch": "North", "Agent": "Bo"}


def test_consents_updated_only_where_the_row_says_something() -> None:
    incoming = ContactData(consents=Consents(sms=False))
    merged = merge_data(stored(), incoming, MergeMode.OVERWRITE)
    assert merged.consents == Consents(email=True, sms=False, call=None)


def test_merging_the_same_row_twice_changes_nothing_the_second_time() -> None:
    contact = Contact.new(id="c1", tenant_id="t1", data=stored(), group_id="g", now=NOW)
    incoming = ContactData(first_name="Anna")
    once = contact.merged(incoming, MergeMode.OVERWRITE, group_id="g", now=NOW, source="u:1")
    twice = once.merged(incoming, MergeMode.OVERWRITE, group_id="g", now=NOW, source="u:1")
    assert once.version == 2
    assert twice is once


def test_snapshot_masks_national_ids() -> None:
    from listflow.kit.pii import Protector

    protector = Protector("unit-test-secret-123456")
    data = ContactData(ssn=protector.protect("ssn", "123456789"))
    snap = Contact.new(id="c1", tenant_id="t1", data=data, group_id=None, now=NOW).snapshot()
    assert snap.data.ssn is not None
    assert snap.data.ssn.ciphertext is None
    assert snap.data.ssn.last4 == "6789"
    assert "123456789" not in snap.model_dump_json()
