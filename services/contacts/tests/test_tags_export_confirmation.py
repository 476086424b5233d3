from datetime import timedelta

from listflow.contacts.domain import confirmation
from listflow.contacts.domain.export import HEADER, export_row
from listflow.contacts.domain.model import Contact
from listflow.contacts.domain.tags import check_tags, tag_id
from listflow.kit.cells import safe_cell
from listflow.schemas.values import Account, ContactData, Phone, ProtectedId

from .conftest import NOW

KEY = b"k" * 32


def test_tags_are_spelled_as_defined_and_unknown_ones_named() -> None:
    check = check_tags(["vip", "VIP ", "late"], {"vip": "VIP"})
    assert check.tags == ("VIP",)
    assert check.missing == ("late",)
    assert "'late'" in check.reason and "create_missing_tags" in check.reason


def test_tag_ids_ignore_case_and_tenant_matters() -> None:
    assert tag_id("t1", "VIP") == tag_id("t1", " vip")
    assert tag_id("t1", "VIP") != tag_id("t2", "VIP")


def test_formula_cells_are_neutralized() -> None:
    for cell in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(cell) == "'" + cell
    assert safe_cell("Ana") == "Ana"
    assert safe_cell("") == ""


def test_export_row_masks_national_ids_and_neutralizes() -> None:
    data = ContactData(
        first_name='=HYPERLINK("http://x")',
        ssn=ProtectedId(hash="h" * 64, last4="6789", ciphertext="secret-cipher"),
        phones=(Phone(e164="+14155550100"),),
        accounts=(Account(number="A1"), Account(number="A2")),
    )
    contact = Contact.new(id="c1", tenant_id="t", data=data, group_id="g", now=NOW)
    row = dict(zip(HEADER, export_row(contact), strict=True))
    assert row["first_name"].startswith("'=")
    assert row["ssn_last4"] == "6789"
    assert "secret-cipher" not in "".join(row.values())
    assert "h" * 64 not in "".join(row.values())
    assert row["phone_1"] == "'+14155550100"
    assert row["accounts"] == "A1; A2"


def test_confirmation_token_binds_tenant_contacts_versions_and_time() -> None:
    items = [("c1", 2), ("c2", 1)]
    token = confirmation.issue(KEY, "t1", items, NOW)
    assert confirmation.verify(KEY, token, "t1", list(reversed(items)), NOW)
    assert not confirmation.verify(KEY, token, "t2", items, NOW)
    assert not confirmation.verify(KEY, token, "t1", [("c1", 3), ("c2", 1)], NOW)
    assert not confirmation.verify(KEY, token, "t1", items[:1], NOW)
    assert not confirmation.verify(KEY, token, "t1", items, NOW + timedelta(hours=1))
    assert not confirmation.verify(KEY, "garbage", "t1", items, NOW)
