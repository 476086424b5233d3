from listflow.schemas.matching import (
    DEFAULT_MATCH_ORDER,
    MATCH_KEY_FIELDS,
    all_match_keys,
    default_match_key,
    default_match_key_of,
    match_value,
    match_values,
)
from listflow.schemas.values import Account, ContactData, MatchKey, Phone, ProtectedId


def everything() -> ContactData:
    return ContactData(
        accounts=(Account(number=" ac 12 "), Account(number="  ")),
        customer_id="c 7",
        document=ProtectedId(hash="doc-hash", last4="1234"),
        phones=(Phone(e164="+14155550100"), Phone(e164="+442079460000")),
        emails=("Ana@Example.com",),
        ssn=ProtectedId(hash="ssn-hash", last4="6789"),
        external_id="x-1",
    )


def test_every_match_key_has_its_values_in_key_order() -> None:
    assert all_match_keys(everything()) == [
        (MatchKey.ACCOUNT_NUMBER, "AC12"),
        (MatchKey.CUSTOMER_ID, "C7"),
        (MatchKey.DOCUMENT_NUMBER, "doc-hash"),
        (MatchKey.PHONE, "+14155550100"),
        (MatchKey.PHONE, "+442079460000"),
        (MatchKey.EMAIL, "ana@example.com"),
        (MatchKey.SSN, "ssn-hash"),
        (MatchKey.EXTERNAL_ID, "X-1"),
    ]
    assert {k for k, _ in all_match_keys(everything())} == set(MatchKey)


def test_a_contact_without_a_key_has_no_value_for_it() -> None:
    empty = ContactData(first_name="Ana")
    assert all_match_keys(empty) == []
    assert match_values(empty, MatchKey.PHONE) == []
    assert match_value(empty, MatchKey.EMAIL) is None
    assert match_value(everything(), MatchKey.PHONE) == "+14155550100"


def test_one_default_order_for_uploads_and_contacts_typed_by_hand() -> None:

    assert set(DEFAULT_MATCH_ORDER) == set(MatchKey) == set(MATCH_KEY_FIELDS)
    # A file that maps only a national id is matched by it, as a contact typed by hand is.
    assert default_match_key({"first_name", "document_number"}) is MatchKey.DOCUMENT_NUMBER
    assert default_match_key({"ssn"}) is MatchKey.SSN
    assert default_match_key({"first_name"}) is MatchKey.EXTERNAL_ID
    sealed = ProtectedId(hash="h", last4="1234")
    assert default_match_key_of(ContactData(ssn=sealed)) is MatchKey.SSN
    assert default_match_key_of(ContactData(ssn=sealed, external_id="x")) is MatchKey.EXTERNAL_ID
    assert default_match_key_of(ContactData(first_name="Ann")) is None
