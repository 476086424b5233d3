"""The edge's string constraints: NUL and lone surrogates are refused with the field named."""

import pytest
from listflow.schemas.text import Name, SafeText, safe_text
from pydantic import BaseModel, ValidationError


class Model(BaseModel):
    text: SafeText | None = None
    name: Name | None = None


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x\udfffy", "\x00"])
def test_nul_and_lone_surrogates_are_refused(value: str) -> None:
    with pytest.raises(ValidationError) as error:
        Model(text=value)
    assert error.value.errors()[0]["loc"] == ("text",)
    assert not safe_text(value)


@pytest.mark.parametrize("value", ["", "plain", "Jméno", "😀 pair", "\t tabs and lines\n"])
def test_ordinary_text_passes_unchanged(value: str) -> None:
    assert Model(text=value).text == value
    assert safe_text(value)


@pytest.mark.parametrize("value", ["", "   ", "x" * 201, "a\x00"])
def test_names_are_one_to_200_visible_characters(value: str) -> None:
    with pytest.raises(ValidationError):
        Model(name=value)
    assert Model(name=" March list ").name == " March list "
