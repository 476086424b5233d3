"""Why a use case refuses a request; entrypoints turn these into problem documents."""


class NotFound(Exception):
    """The tenant has no such contact, group or tag."""


class Conflict(Exception):
    """The request collides with the current state (a stale version, an existing name)."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class Invalid(Exception):
    """The request names something that cannot be: an unknown tag, a bad phone number."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []
