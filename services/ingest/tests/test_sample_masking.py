"""An upload's sample rows show national ids by their last four characters only."""

from typing import Any

from listflow.ingest.domain.fields import suggest_mapping
from listflow.ingest.domain.samples import id_columns, public_sample

HEADERS = ["Name", "SSN", "Document number", "Date of birth", "Notes"]
ROW = ["Ann", "146-32-2440", "X1234567", "1980-02-29", "146-32-2440"]


def _doc(**extra: Any) -> dict[str, Any]:
    return {
        "headers": HEADERS,
        "suggested_mapping": [
            {"column": s.column, "field": s.field, "confidence": s.confidence}
            for s in suggest_mapping(HEADERS)
        ],
        "sample": [{"cells": ROW}, {"cells": ["Bob", None, "", "1975-01-01", "x"]}],
        "options": {},
        **extra,
    }


def test_the_suggested_mapping_masks_ssn_and_document_and_keeps_date_of_birth() -> None:
    sample = public_sample(_doc())
    assert sample[0] == ["Ann", "*******2440", "****4567", "1980-02-29", "146-32-2440"]
    assert sample[1] == ["Bob", None, "", "1975-01-01", "x"]


def test_a_given_mapping_that_names_a_column_an_id_masks_it() -> None:
    doc = _doc(options={"mapping": [{"column": "Notes", "field": "document_number"}]})
    assert public_sample(doc)[0][4] == "*******2440"


def test_the_mapping_in_force_masks_too_and_a_remapped_id_column_stays_masked() -> None:
    doc = _doc(mapping={"0": "first_name", "1": "notes", "4": "ssn"})
    assert id_columns(doc) == {1, 2, 4}


def test_a_second_column_of_the_same_id_is_masked_though_the_suggestion_skips_it() -> None:
    headers = ["SSN", "SSN"]
    doc = {
        "headers": headers,
        "suggested_mapping": [{"column": "SSN", "field": "ssn"}, {"column": "SSN", "field": None}],
        "sample": [{"cells": ["146-32-2440", "219-09-9999"]}],
    }
    assert public_sample(doc) == [["*******2440", "*******9999"]]


def test_options_that_cannot_map_leave_the_other_readings_in_force() -> None:
    doc = _doc(options={"mapping": [{"column": "Missing", "field": "ssn"}]})
    assert public_sample(doc)[0][1] == "*******2440"


def test_masking_twice_changes_nothing() -> None:
    once = public_sample(_doc())
    assert public_sample(_doc(sample=[{"cells": once[0]}]))[0] == once[0]
