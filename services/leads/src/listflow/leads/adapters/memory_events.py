"""An in-memory `LeadEventPublisher` for use-case tests: it keeps what was published, in
order, where `adapters/kafka_events.py` sends it to Kafka."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from listflow.leads.ports import LeadChange
from listflow.schemas.events import RowOutcomes
from listflow.schemas.leads import LeadQueued, LeadWithdrawn


@dataclass
class RecordedEvents:
    changes: list[LeadChange] = field(default_factory=list)
    queued_events: list[LeadQueued] = field(default_factory=list)
    withdrawn_events: list[LeadWithdrawn] = field(default_factory=list)
    outcomes: list[RowOutcomes] = field(default_factory=list)

    async def lead_changes(self, events: Sequence[LeadChange]) -> None:
        self.changes.extend(events)

    async def queued(self, events: Sequence[LeadQueued]) -> None:
        self.queued_events.extend(events)

    async def withdrawn(self, events: Sequence[LeadWithdrawn]) -> None:
        self.withdrawn_events.extend(events)

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        self.outcomes.extend(batches)
