"""SMS rules that need no outside world: the opt-out keywords of a reply, the provider's
statuses as ledger moves, and addresses normalized as the suppression list keys them."""

from dataclasses import dataclass
from enum import StrEnum

from listflow.campaigns.domain.model import MessageState
from listflow.schemas.campaigns import Channel
from listflow.schemas.normalize import PhoneNormalizer, normalize_email


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


# The whole message, in any case, with surrounding spaces (the carriers' and CTIA's list).
KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Keyword.STOP),
    **dict.fromkeys(("START", "UNSTOP"), Keyword.START),
    "HELP": Keyword.HELP,
}


def keyword(body: str) -> Keyword | None:
    """The keyword a reply is, or None for any other text ("stop it please" is not one)."""
    return KEYWORDS.get(body.strip().upper())


@dataclass(frozen=True, slots=True)
class StatusMove:
    """How a provider status moves a ledger message: to `to` from one of `from_states`."""

    to: MessageState
    from_states: tuple[MessageState, ...]
    failed: bool = False


# Only forward moves: a repeated or late status finds the message elsewhere and changes
# nothing (delivered then a late "sent"; failed twice). "queued" moves nothing.
STATUS_MOVES = {
    "sent": StatusMove(MessageState.SENT, (MessageState.SENDING,)),
    "delivered": StatusMove(MessageState.DELIVERED, (MessageState.SENDING, MessageState.SENT)),
    "failed": StatusMove(MessageState.FAILED, (MessageState.SENDING, MessageState.SENT), True),
    "undelivered": StatusMove(MessageState.FAILED, (MessageState.SENDING, MessageState.SENT), True),
}
PROVIDER_STATUSES = frozenset({"queued", *STATUS_MOVES})


def normalized_address(channel: Channel, raw: str, phones: PhoneNormalizer) -> str:
    """The address as contacts store it (email: domain lower-cased; phone: E.164), so a
    suppression matches the contact's address; ValueError saying what is wrong."""
    if channel == "email":
        return normalize_email(raw)
    return phones.normalize(raw).e164
