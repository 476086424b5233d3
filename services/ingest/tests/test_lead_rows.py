"""Rows bound for a lead list: mapping narrowed to lead fields, custom fields typed."""

import pytest
from listflow.ingest.domain.lead_rows import (
    LeadConverter,
    LeadListInfo,
    UniqueValues,
    lead_explicit_mapping,
    narrow_mapping,
)
from listflow.schemas.leads import CustomFieldDefinition, parse_custom
from listflow.schemas.values import ContactData, ExtraField, Phone

INFO = LeadListInfo(
    id="l1",
    name="List",
    fields=(
        CustomFieldDefinition(name="Amount", type="number", nullable=False),
        CustomFieldDefinition(name="Ref", unique=True),
        CustomFieldDefinition(name="Paid", type="boolean"),
    ),
)


def test_custom_columns_are_kept_as_custom_fields_and_renamed_by_the_mapping() -> None:
    explicit, renames = lead_explicit_mapping(
        ["Name", "Phone1", "amount", "Reference"], {"Reference": "ref"}, INFO
    )
    assert explicit == {"Reference": "extra", "amount": "extra"}
    assert renames == {"Reference": "Ref", "amount": "Amount"}
    assert narrow_mapping({0: "first_name", 1: "phone", 2: "balance", 3: "tags"}) == {
        0: "first_name",
        1: "phone",
        2: "extra",
        3: "extra",
    }


def _contact(**extras: str) -> ContactData:
    return ContactData(
        first_name="Ana",
        last_name="Gómez",
        phones=(Phone(e164="+14155550100"),),
        emails=("ana@x.test",),
        extra=tuple(ExtraField(name=k, value=v) for k, v in extras.items()),
    )


def test_a_valid_row_becomes_lead_data_with_typed_custom_values() -> None:
    converter = LeadConverter(INFO, {"amount": "Amount"})
    lead = converter.convert(_contact(amount="1,200.50", Ref="R1", Paid="yes", Other="kept"))
    assert not isinstance(lead, list)
    assert (lead.name, lead.email) == ("Ana Gómez", "ana@x.test")
    assert {c.name: c.value for c in lead.custom} == {
        "Amount": 1200.5,
        "Ref": "R1",
        "Paid": True,
        "Other": "kept",
    }


def test_required_typed_and_unique_custom_fields_are_checked() -> None:
    converter = LeadConverter(INFO, {})
    assert converter.convert(_contact(Ref="R1")) == [("Amount", "", "required value is missing")]
    assert converter.convert(_contact(Amount="lots"))[0][:2] == ("Amount", "lots")  # type: ignore[index]
    first = converter.convert(_contact(Amount="1", Ref="R9"))
    second = converter.convert(_contact(Amount="2", Ref="R9"))
    assert not isinstance(first, list) and not isinstance(second, list)
    # Uniqueness within the file is decided in row order, where the rows are sorted.
    seen = UniqueValues()
    assert seen.repeated(converter.unique_values(first)) == []
    assert seen.repeated(converter.unique_values(second)) == [
        ("Ref", "R9", "must be unique; another row has it")
    ]


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        ("integer", "12", 12),
        ("date", "2026-03-01", "2026-03-01"),
        ("email", "A@EXAMPLE.COM", "A@example.com"),
    ],
)
def test_parse_custom(kind: str, raw: str, value: object) -> None:
    definition = CustomFieldDefinition(name="f", type=kind)  # type: ignore[arg-type]
    assert parse_custom(definition, raw) == value
    with pytest.raises(ValueError, match="whole number"):
        parse_custom(CustomFieldDefinition(name="n", type="integer"), "1.5")
