"""Value types shared by events and services. All frozen: they are facts, not state."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class MatchKey(StrEnum):
    ACCOUNT_NUMBER = "account_number"
    CUSTOMER_ID = "customer_id"
    DOCUMENT_NUMBER = "document_number"
    PHONE = "phone"
    EMAIL = "email"
    SSN = "ssn"
    EXTERNAL_ID = "external_id"


class OnNoMatch(StrEnum):
    IMPORT = "import"
    SKIP = "skip"


class OnOneMatch(StrEnum):
    UPDATE = "update"
    SKIP = "skip"


class OnMultipleMatches(StrEnum):
    UPDATE_FIRST = "update_first"
    UPDATE_LAST = "update_last"
    SKIP = "skip"


class InFileDuplicates(StrEnum):
    FIRST_WINS = "first_wins"
    LAST_WINS = "last_wins"


class MergeMode(StrEnum):
    OVERWRITE = "overwrite"
    FILL_BLANKS = "fill_blanks"


class MatchPolicy(Frozen):
    """How rows are matched against stored records and what happens on a match."""

    key: MatchKey | None = None
    on_no_match: OnNoMatch = OnNoMatch.IMPORT
    on_one_match: OnOneMatch = OnOneMatch.UPDATE
    on_multiple_matches: OnMultipleMatches = OnMultipleMatches.UPDATE_LAST
    in_file_duplicates: InFileDuplicates = InFileDuplicates.FIRST_WINS
    merge: MergeMode = MergeMode.OVERWRITE


class TargetKind(StrEnum):
    GROUP = "group"
    LEAD_LIST = "lead_list"


_LIST_NAMESPACE = uuid5(NAMESPACE_URL, "https://listflow.invalid/lists")


def list_id_for(tenant_id: str, kind: TargetKind, name: str) -> str:
    """The id of a named group or lead list; deterministic so that every service agrees."""
    return str(uuid5(_LIST_NAMESPACE, f"{tenant_id}\x1f{kind.value}\x1f{name.strip().casefold()}"))


class TargetRef(Frozen):
    """Where an upload's rows go: a contact group or a lead list."""

    kind: TargetKind
    id: str
    name: str


class PhoneType(StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"
    FIXED_OR_MOBILE = "fixed_or_mobile"
    TOLL_FREE = "toll_free"
    VOIP = "voip"
    OTHER = "other"


class Phone(Frozen):
    e164: str
    type: PhoneType = PhoneType.OTHER
    region: str | None = None
    time_zone: str | None = None


class ProtectedId(Frozen):
    """A national id as it may travel: keyed hash for matching, ciphertext, last four digits.

    The clear value never leaves ingest; only contacts holds the key to decrypt.
    """

    hash: str
    last4: str
    ciphertext: str | None = None

    def masked(self) -> "ProtectedId":
        return ProtectedId(hash=self.hash, last4=self.last4)


class Account(Frozen):
    number: str
    balance: Decimal | None = None
    currency: str | None = None
    status: str | None = None


class Consents(Frozen):
    email: bool | None = None
    sms: bool | None = None
    call: bool | None = None


ConsentChannel = Literal["email", "sms", "call"]


class ConsentSource(StrEnum):
    UPLOAD = "upload"
    API = "api"
    MERGE = "merge"


class ConsentRecord(Frozen):
    """Where a contact's current consent on one channel came from, and when."""

    channel: ConsentChannel
    granted: bool
    source: ConsentSource
    upload_id: str | None = None
    row_number: int | None = None
    at: datetime


class ExtraField(Frozen):
    """A column outside the canonical fields, kept as additional data."""

    name: str
    value: str


class ContactData(Frozen):
    """Canonical, normalized fields of one customer as read from one row."""

    customer_type: Literal["person", "company"] = "person"
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    customer_id: str | None = None
    external_id: str | None = None
    document_type: str | None = None
    document: ProtectedId | None = None
    ssn: ProtectedId | None = None
    date_of_birth: date | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[str, ...] = ()
    address: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None
    time_zone: str | None = None
    accounts: tuple[Account, ...] = ()
    tags: tuple[str, ...] = ()
    consents: Consents = Field(default_factory=Consents)
    extra: tuple[ExtraField, ...] = ()


class RowStatus(StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    FAILED = "failed"


class Counts(Frozen):
    total: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    duplicates: int = 0
    errors: int = 0


def deterministic_id(*parts: str) -> str:
    """A stable UUID for a record created from a given source, so a replay creates the same id."""
    return str(uuid5(_LIST_NAMESPACE, "\x1f".join(parts)))


__all__ = [
    "UUID",
    "Account",
    "ConsentChannel",
    "ConsentRecord",
    "ConsentSource",
    "Consents",
    "ContactData",
    "Counts",
    "ExtraField",
    "Frozen",
    "InFileDuplicates",
    "MatchKey",
    "MatchPolicy",
    "MergeMode",
    "NonEmpty",
    "OnMultipleMatches",
    "OnNoMatch",
    "OnOneMatch",
    "Phone",
    "PhoneType",
    "ProtectedId",
    "RowStatus",
    "TargetKind",
    "TargetRef",
    "deterministic_id",
    "list_id_for",
]
