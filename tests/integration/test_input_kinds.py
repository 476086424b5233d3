"""Files operators bring, through the real services: encodings, delimiters, Excel, pasted cells."""

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import Stack, wait_for_status

CZECH = (
    "Jméno;Příjmení;Telefon;E-mail;Číslo účtu;PSČ\r\n"
    "Tomáš;Dvořák;601 123 456;tomas@example.cz;CZ-001;110 00\r\n"
    "Jiří;Černý;+420 602 111 222;jiri@example.cz;CZ-002;602 00\r\n"
    "Růžena;Procházková;telefon;ruzena@example;CZ-003;\r\n"
)


def post(stack: Stack, options: dict[str, Any], **parts: Any) -> dict[str, Any]:
    with stack.client("acme") as client:
        response = client.post(
            "/v1/uploads", data={"options": json.dumps(options), **parts.pop("data", {})}, **parts
        )
        assert response.status_code == 202, response.text
        return wait_for_status(client, response.json()["id"], {"completed", "failed"})


def test_windows_1250_semicolon_file_with_czech_headers(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "kontakty.csv"
    path.write_bytes(CZECH.encode("cp1250"))
    with path.open("rb") as f:
        done = post(
            stack,
            {"target": {"kind": "group", "name": "Praha"}, "default_region": "CZ"},
            files={"file": ("kontakty.csv", f, "text/csv")},
        )
    assert done["detected"]["encoding"].replace("-", "").lower() in {"cp1250", "windows1250"}
    assert done["detected"]["delimiter"] == ";"
    assert done["headers"][:2] == ["Jméno", "Příjmení"]
    assert done["counts"] == {
        "total": 3,
        "imported": 2,
        "updated": 0,
        "skipped": 0,
        "duplicates": 0,
        "errors": 1,
    }
    with stack.client("acme") as client:
        names = {
            c["data"]["last_name"]
            for c in client.get("/v1/contacts", params={"group": "Praha"}).json()["items"]
        }
    assert names == {"Dvořák", "Černý"}


def test_utf8_bom_file(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(
        "\ufeffFirst name,Last name,Email\r\nZoë,Ångström,zoe@example.com\r\n".encode()
    )
    with path.open("rb") as f:
        done = post(
            stack,
            {"target": {"kind": "group", "name": "BOM"}},
            files={"file": ("bom.csv", f, "text/csv")},
        )
    assert done["headers"][0] == "First name"
    assert done["counts"]["imported"] == 1


def test_xlsx_with_two_sheets_reads_the_chosen_one(stack: Stack, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Resumen"
    first.append(["nothing", "here"])
    accounts = book.create_sheet("Cuentas")
    accounts.append(["Nombre", "Apellido", "Celular", "Correo", "Número de cuenta", "Saldo"])
    accounts.append(["Lucía", "Pérez", "300 1234567", "lucia@example.co", "CO-1", 1500.5])
    accounts.append(["Andrés", "Gómez", "310 7654321", "andres@example.co", "CO-2", 20])
    path = tmp_path / "cuentas.xlsx"
    book.save(path)
    with path.open("rb") as f:
        done = post(
            stack,
            {
                "target": {"kind": "group", "name": "Bogotá"},
                "default_region": "CO",
                "sheet": "Cuentas",
            },
            files={"file": ("cuentas.xlsx", f, "application/octet-stream")},
        )
    assert done["format"] == "xlsx"
    assert done["detected"]["sheet"] == "Cuentas"
    assert done["detected"]["sheets"] == ["Resumen", "Cuentas"]
    assert done["counts"]["imported"] == 2, done
    with stack.client("acme") as client:
        items = client.get("/v1/contacts", params={"group": "Bogotá"}).json()["items"]
    phones = sorted(c["data"]["phones"][0]["e164"] for c in items)
    assert phones == ["+573001234567", "+573107654321"]
    balances = sorted(c["data"]["accounts"][0]["balance"] for c in items)
    assert balances == ["1500.5", "20"]


def test_pasted_cells_follow_the_same_flow(stack: Stack) -> None:
    # Phones of their own: the template samples (test_templates.py) use the classic ones.
    text = "First name\tLast name\tPhone\nAna\tSilva\t+1 415 555 2693\nBo\tLund\t(212) 555-0193\n"
    done = post(stack, {"target": {"kind": "group", "name": "Pasted"}}, data={"text": text})
    assert done["detected"]["delimiter"] == "\t"
    assert done["detected"]["sheets"] == []  # text has no sheets
    assert done["file_name"] == "pasted.tsv"
    assert done["counts"]["imported"] == 2


@pytest.mark.parametrize("payload", [b"\x00\x01\x02\xff" * 4096, b"PK\x03\x04not really a zip"])
def test_binary_garbage_is_a_clear_problem(stack: Stack, tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(payload)
    with stack.client("acme") as client, path.open("rb") as f:
        response = client.post("/v1/uploads", files={"file": ("list.csv", f, "text/csv")})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]
