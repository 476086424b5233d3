"""Why a campaigns use case refuses a request: the kinds of listflow.kit.errors, which
listflow.kit.problems turns into problem documents in one place."""

from listflow.kit import errors


class NotFound(errors.NotFound):
    """The tenant has no such template or campaign (another tenant's is not found either)."""

    def __init__(self, message: str) -> None:
        super().__init__("Not Found", message)


class Conflict(errors.Conflict):
    """The request collides with the current state (a stale version)."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__("Conflict", message, **details)


class Invalid(errors.Invalid):
    """The request names what cannot be (a template of the other channel, no audience)."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__("Unprocessable Content", message, **details)
