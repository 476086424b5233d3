"""Which order, day or month first, each date column of a file is written in.

Without a `date_order` option, each column's own values decide (a first part over 12 is a
day, a second part over 12 a month); where they cannot tell, the upload's region does
(`listflow.schemas.normalize.region_date_order`), and the column is flagged as ambiguous so
the operator can check it in the preview. A value that contradicts its column's order stays a
row error naming the column.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from listflow.schemas.normalize import DateOrder, date_shape, region_date_order

# Rows read from the start of a file to learn its date columns' orders (one batch's worth).
SCAN_ROWS = 5_000
# A column whose values settled it this many times need not be read further.
SETTLED = 20

Source = Literal["option", "values", "region"]


@dataclass
class DateEvidence:
    """What a column's values said: how many were day first, month first, year first, either."""

    day_first: int = 0
    month_first: int = 0
    year_first: int = 0
    either: int = 0
    other: int = 0  # values that are not dates at all

    def add(self, value: str) -> None:
        shape = date_shape(value)
        if shape == "DMY":
            self.day_first += 1
        elif shape == "MDY":
            self.month_first += 1
        elif shape == "YMD":
            self.year_first += 1
        elif shape == "either":
            self.either += 1
        else:
            self.other += 1

    @property
    def dates(self) -> int:
        return self.day_first + self.month_first + self.year_first + self.either

    @property
    def settled(self) -> bool:
        return self.day_first + self.month_first >= SETTLED


@dataclass(frozen=True)
class ColumnDateOrder:
    """The order a date column is read in, and what decided it."""

    column: str
    order: DateOrder
    source: Source
    # Settled by the region only: the values could not tell (or said both).
    ambiguous: bool

    def document(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DateScan:
    """Evidence per column index, gathered from the first rows of a file."""

    candidates: set[int]
    evidence: dict[int, DateEvidence] = field(default_factory=dict)

    @classmethod
    def of_sample(cls, sample_rows: Sequence[Sequence[str | None]]) -> "DateScan":
        """Columns where a sampled value looks like a date are scanned further."""
        candidates = {
            i
            for row in sample_rows
            for i, cell in enumerate(row)
            if cell and date_shape(cell) is not None
        }
        return cls(candidates)

    def add(self, cells: Sequence[str | None]) -> None:
        for i in self.candidates:
            if i < len(cells):
                cell = cells[i]
                if cell and cell.strip():
                    self.evidence.setdefault(i, DateEvidence()).add(cell)

    @property
    def settled(self) -> bool:
        return all(self.evidence.get(i, DateEvidence()).settled for i in self.candidates)

    def date_columns(self, headers: Sequence[str]) -> list[dict[str, Any]]:
        """The columns mostly written as dates, with their evidence, as stored on the upload."""
        return [
            {"index": i, "column": headers[i], **asdict(e)}
            for i, e in sorted(self.evidence.items())
            if i < len(headers) and e.dates and e.dates >= e.other
        ]


def choose(
    column: str, evidence: DateEvidence | None, region: str, given: DateOrder | None
) -> ColumnDateOrder:
    """The order of one column: the option if given, else its values', else its region's."""
    if given is not None:
        return ColumnDateOrder(column, given, "option", ambiguous=False)
    evidence = evidence or DateEvidence()
    # Most values settle it; those of the other order (typos, another source's rows) are then
    # errors of their rows, naming the column.
    if evidence.day_first > evidence.month_first:
        return ColumnDateOrder(column, "DMY", "values", ambiguous=False)
    if evidence.month_first > evidence.day_first:
        return ColumnDateOrder(column, "MDY", "values", ambiguous=False)
    if not (evidence.day_first or evidence.either) and evidence.year_first:
        return ColumnDateOrder(column, "YMD", "values", ambiguous=False)
    return ColumnDateOrder(column, region_date_order(region), "region", ambiguous=True)


def evidence_of(stored: Iterable[Mapping[str, Any]]) -> dict[int, DateEvidence]:
    """The evidence stored on an upload (`detected.date_columns`), by column index."""
    names = DateEvidence.__dataclass_fields__
    return {
        int(c["index"]): DateEvidence(**{k: int(v) for k, v in c.items() if k in names})
        for c in stored
    }


def orders_for(
    columns: Mapping[int, str],
    evidence: Mapping[int, DateEvidence],
    region: str,
    given: DateOrder | None,
) -> dict[int, ColumnDateOrder]:
    """The order of each date column (index -> header)."""
    return {i: choose(name, evidence.get(i), region, given) for i, name in sorted(columns.items())}
