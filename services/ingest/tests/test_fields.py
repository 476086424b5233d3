import pytest
from listflow.ingest.domain.fields import (
    CANONICAL_FIELDS,
    ColumnSuggestion,
    MappingError,
    resolve_mapping,
    suggest_mapping,
)


def fields_of(headers: list[str]) -> list[str | None]:
    return [s.field for s in suggest_mapping(headers)]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("First name", "first_name"),
        ("first_name", "first_name"),
        ("FirstName", "first_name"),
        ("Nombre", "first_name"),
        ("Jméno", "first_name"),
        ("Příjmení", "last_name"),
        ("PRIMER APELLIDO", "last_name"),
        ("Apellido", "last_name"),
        ("Celular", "phone"),
        ("Móvil", "phone"),
        ("Telefon", "phone"),
        ("Telefono", "phone"),
        ("Phone number", "phone"),
        ("Mobile", "phone"),
        ("phone1", "phone"),
        ("Phone 2", "phone2"),
        ("phone2", "phone2"),
        ("Teléfono 3", "phone3"),
        ("phone5", "phone5"),
        ("E-mail", "email"),
        ("Correo", "email"),
        ("Email 2", "email2"),
        ("Social security number", "ssn"),
        ("SSN", "ssn"),
        ("Zip code", "postcode"),
        ("ZIP", "postcode"),
        ("PSČ", "postcode"),
        ("Postcode", "postcode"),
        ("Date of birth", "date_of_birth"),
        ("DOB", "date_of_birth"),
        ("Datum narození", "date_of_birth"),
        ("Fecha de nacimiento", "date_of_birth"),
        ("Account number", "account_number"),
        ("Číslo účtu", "account_number"),
        ("Número de cuenta", "account_number"),
        ("Balance", "balance"),
        ("Saldo", "balance"),
        ("Currency", "currency"),
        ("Moneda", "currency"),
        ("Customer ID", "customer_id"),
        ("customerID", "customer_id"),
        ("Tags", "tags"),
        ("Time zone", "time_zone"),
        ("Rodné číslo", "document_number"),
        ("Email consent", "consent_email"),
    ],
)
def test_synonym_maps_exactly(header: str, field: str) -> None:
    assert suggest_mapping([header]) == [ColumnSuggestion(header, 0, field, 1.0)]


@pytest.mark.parametrize("header", ["Notes", "County", "Phone type", "Address 2", "Phone 6", ""])
def test_unrelated_headers_stay_unmapped(header: str) -> None:
    assert suggest_mapping([header]) == [ColumnSuggestion(header, 0, None, 0.0)]


def test_misspelled_header_is_a_fuzzy_suggestion() -> None:
    (suggestion,) = suggest_mapping(["Emial"])
    assert suggestion.field == "email"
    assert 0 < suggestion.confidence < 1


def test_ambiguous_name_has_lower_confidence() -> None:
    (suggestion,) = suggest_mapping(["Name"])
    assert suggestion.field == "first_name"
    assert suggestion.confidence < 1


def test_spanish_file() -> None:
    headers = ["Nombre", "Primer apellido", "Segundo apellido", "Celular", "Correo", "Saldo"]
    assert fields_of(headers) == ["first_name", "last_name", None, "phone", "email", "balance"]


def test_czech_file() -> None:
    headers = ["Jméno", "Příjmení", "Telefon", "E-mail", "PSČ", "Číslo účtu", "Zůstatek", "Měna"]
    assert fields_of(headers) == [
        "first_name",
        "last_name",
        "phone",
        "email",
        "postcode",
        "account_number",
        "balance",
        "currency",
    ]


def test_a_field_goes_to_one_column_only() -> None:
    assert fields_of(["ZIP", "Postcode"]) == ["postcode", None]


def test_more_phone_columns_take_the_next_free_slots() -> None:
    assert fields_of(["Mobile", "Phone", "Phone 2", "Home phone"]) == [
        "phone",
        "phone3",
        "phone2",
        "phone4",
    ]


def test_resolve_without_explicit_uses_suggestions_and_keeps_the_rest_as_extra() -> None:
    assert resolve_mapping(["Phone", "Notes", "Email"], None) == {
        0: "phone",
        1: "extra",
        2: "email",
    }


def test_explicit_mapping_overrides_suggestions() -> None:
    headers = ["Celular", "Fijo", "Notes", "Internal"]
    mapping = resolve_mapping(headers, {"Fijo": "phone", "Internal": "ignore"})
    # "Celular" lost "phone" to the explicit choice and moves to the next phone slot.
    assert mapping == {0: "phone2", 1: "phone", 2: "extra", 3: "ignore"}


def test_explicit_mapping_can_demote_a_suggestion_to_extra() -> None:
    assert resolve_mapping(["Phone", "Email"], {"Email": "extra"}) == {0: "phone", 1: "extra"}


def test_explicit_header_names_are_matched_loosely() -> None:
    assert resolve_mapping(["Cell Phone "], {"cell phone": "PHONE"}) == {0: "phone"}


def test_explicit_unknown_header_is_an_error() -> None:
    with pytest.raises(MappingError, match=r"'Mobile'.*not in the file"):
        resolve_mapping(["Phone"], {"Mobile": "phone"})


def test_explicit_unknown_field_is_an_error() -> None:
    with pytest.raises(MappingError, match="'telephone', which is not a known field"):
        resolve_mapping(["Phone"], {"Phone": "telephone"})


def test_two_columns_for_one_field_is_an_error() -> None:
    with pytest.raises(MappingError, match="'A' and 'B' are both mapped to 'email'"):
        resolve_mapping(["A", "B"], {"A": "email", "B": "email"})


def test_canonical_field_names_map_to_themselves() -> None:
    assert fields_of(list(CANONICAL_FIELDS)) == list(CANONICAL_FIELDS)
