from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from listflow.schemas.events import ContactChange, ContactRowParsed, RowOutcomes
from listflow.schemas.values import (
    Account,
    ContactData,
    MatchKey,
    MatchPolicy,
    Phone,
    TargetKind,
    TargetRef,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GROUP = TargetRef(kind=TargetKind.GROUP, id="g-march", name="March list")


class RecordingSink:
    def __init__(self) -> None:
        self.changes: list[ContactChange] = []
        self.outcomes: list[RowOutcomes] = []

    async def contacts_changed(self, events: Sequence[ContactChange]) -> None:
        self.changes.extend(events)

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        self.outcomes.extend(batches)


def row(
    n: int,
    *,
    account: str | None = None,
    phone: str | None = None,
    first_name: str | None = None,
    key: MatchKey = MatchKey.ACCOUNT_NUMBER,
    policy: MatchPolicy | None = None,
    upload_id: str = "u1",
    tenant_id: str = "t1",
    balance: str | None = None,
    tags: tuple[str, ...] = (),
    create_missing_tags: bool | None = None,
) -> ContactRowParsed:
    data = ContactData(
        first_name=first_name,
        accounts=(Account(number=account, balance=balance),) if account else (),
        phones=(Phone(e164=phone),) if phone else (),
        tags=tags,
    )
    value = account if key is MatchKey.ACCOUNT_NUMBER else phone
    assert value is not None
    return ContactRowParsed(
        tenant_id=tenant_id,
        upload_id=upload_id,
        row_number=n,
        target=GROUP,
        match=(policy or MatchPolicy()).model_copy(update={"key": key}),
        match_key=key,
        match_value=value,
        contact=data,
        create_missing_tags=create_missing_tags,
    )


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()
