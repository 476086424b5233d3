"""Why a contacts use case refuses a request: the kinds of listflow.kit.errors, which
listflow.kit.problems turns into problem documents (404, 409, 422) in one place."""

from listflow.kit import errors


class NotFound(errors.NotFound):
    """The tenant has no such contact, group or tag."""

    def __init__(self, message: str) -> None:
        super().__init__("Not Found", message)


class Conflict(errors.Conflict):
    """The request collides with the current state (a stale version, an existing name)."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__("Conflict", message, **details)
        self.details = details


class Invalid(errors.Invalid):
    """The request names something that cannot be: an unknown tag, a bad phone number."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        self.errors = errors or []
        located = [{"location": e["field"], "message": e["message"]} for e in self.errors]
        super().__init__("Invalid request", message, errors=located)
