"""Text that every service can store and query: the string constraints of the API's edge.

MongoDB and FerretDB refuse NUL characters in strings and a lone surrogate (half of a UTF-16
pair, which a JSON body can carry as "\\ud800") cannot be encoded as UTF-8 at all: either one
in a stored value or a query fails the request with a server error, or worse, leaves a document
that no later read can serve. Request models, query and path parameters use these types, so
such input is a 422 problem naming the field instead.
"""

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator, StringConstraints

T = TypeVar("T")


def check_text(value: str) -> str:
    """The value unchanged, or ValueError when it holds NUL or a lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def not_blank(value: str) -> str:
    """The value unchanged, or ValueError when it is only whitespace."""
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def safe_text(value: str) -> bool:
    """Whether `check_text` accepts the value (for reads that skip old bad documents)."""
    try:
        check_text(value)
    except ValueError:
        return False
    return True


SafeText = Annotated[str, AfterValidator(check_text)]
"""Any storable string (NUL and lone surrogates refused)."""


# The length is checked before the text, so that its message reads plainly.
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(check_text),
    AfterValidator(not_blank),
]
"""A name a person gives (a list, a campaign, a group): 1 to 200 characters, not blank."""

Id = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(check_text)]
"""An id as a client sends it in a path, a query or a body: 1 to 200 characters."""

ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(check_text)]
LongText = Annotated[str, StringConstraints(max_length=2000), AfterValidator(check_text)]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


# A field of a partial update that may be left out but not sent as null (a list always has a
# name): its default None is never validated, an explicit null is a 422 naming the field, and
# the OpenAPI document says the field is not nullable. Type checkers see `T | None`.
if TYPE_CHECKING:
    Omittable = Annotated[T | None, "omittable"]
else:

    class Omittable:
        def __class_getitem__(cls, item: Any) -> Any:
            return Annotated[item, BeforeValidator(_not_null)]
