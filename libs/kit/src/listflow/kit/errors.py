"""Why a use case refuses a request, in the domain's words: no HTTP here. Entrypoints never
translate these one by one; listflow.kit.problems maps each kind to its status, once."""

from typing import Any


class Refused(Exception):
    """A refusal with a short title, a detail for the caller and any named facts."""

    def __init__(self, title: str, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or title)
        self.title = title
        self.detail = detail
        self.extensions = extensions


class NotFound(Refused):
    """The tenant has no such thing (another tenant's is not found either)."""


class Conflict(Refused):
    """The request collides with the current state (already started, a stale version)."""


class Invalid(Refused):
    """The request's content cannot be: a field, a mapping, a file that cannot be read."""


class TooLarge(Refused):
    """The request is over a limit of size (bytes or rows)."""


class Unavailable(Refused):
    """A service this one needs did not answer; the caller may try again later."""


class UpstreamFailed(Refused):
    """A service this one needs answered, but not as its API promises."""
