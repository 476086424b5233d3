"""Seeded, realistic contact files for tests and the benchmark."""

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FIRST = [
    "Ana",
    "Bohdan",
    "Carmen",
    "David",
    "Eva",
    "Farah",
    "Gustavo",
    "Hana",
    "Ivan",
    "Jana",
    "Karel",
    "Lucía",
    "Marek",
    "Nora",
    "Oscar",
    "Petra",
    "Quinn",
    "Rosa",
    "Sam",
    "Tomáš",
]
LAST = [
    "García",
    "Novák",
    "Smith",
    "Svoboda",
    "López",
    "Brown",
    "Dvořák",
    "Martínez",
    "Jones",
    "Černý",
    "Rodríguez",
    "Taylor",
    "Procházka",
    "Pérez",
    "Wilson",
]
HEADER = [
    "First name",
    "Last name",
    "Phone",
    "Email",
    "Account number",
    "Date of birth",
    "Zip code",
]
US_AREAS = ["212", "312", "415", "617", "713", "305", "206", "404"]


@dataclass(frozen=True)
class Expected:
    total: int
    invalid: int
    duplicates: int

    @property
    def valid_distinct(self) -> int:
        return self.total - self.invalid - self.duplicates


def _phone(rng: random.Random, i: int, international: bool) -> str:
    """A valid number in one of the ways people write them; some from abroad when asked."""
    if international and i % 10 >= 7:
        n = i % 1_000_000
        country = i % 3
        if country == 0:
            return f"+44 7400 {n:06d}"
        if country == 1:
            return f"+420 601 {n // 1000:03d} {n % 1000:03d}"
        return f"+57 300 {n // 10000:03d} {n % 10000:04d}"
    area = rng.choice(US_AREAS)
    exchange = 200 + (i // 10000) % 800
    line = i % 10000
    style = i % 4
    if style == 0:
        return f"({area}) {exchange}-{line:04d}"
    if style == 1:
        return f"+1 {area} {exchange} {line:04d}"
    if style == 2:
        return f"{area}.{exchange}.{line:04d}"
    return f"1{area}{exchange}{line:04d}"


def rows(
    count: int,
    *,
    seed: int = 7,
    invalid_ratio: float = 0.05,
    duplicate_ratio: float = 0.03,
    account_offset: int = 0,
    international: bool = False,
) -> tuple[list[list[str]], Expected]:
    """Rows with exactly round(count*ratio) invalid rows and in-file duplicates of earlier rows."""
    rng = random.Random(seed)
    n_invalid = round(count * invalid_ratio)
    n_dup = round(count * duplicate_ratio)
    kinds = ["valid"] * (count - n_invalid - n_dup) + ["invalid"] * n_invalid + ["dup"] * n_dup
    # Row 1 must be valid so that every duplicate has an earlier original.
    rest = kinds[1:]
    rng.shuffle(rest)
    kinds = [kinds[0], *rest]
    out: list[list[str]] = []
    valid_rows: list[list[str]] = []
    for i, kind in enumerate(kinds):
        if kind == "dup" and valid_rows:
            original = rng.choice(valid_rows)
            out.append(
                [
                    original[0],
                    original[1],
                    original[2],
                    original[3],
                    original[4].lower(),
                    original[5],
                    original[6],
                ]
            )
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        row = [
            first,
            last,
            _phone(rng, i + account_offset, international),
            f"{first.lower()}.{i + account_offset}@example.com".encode("ascii", "ignore").decode(),
            f"AC-{i + account_offset:08d}",
            f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"{rng.randint(10000, 99999)}",
        ]
        if kind == "invalid":
            broken = i % 3
            if broken == 0:
                row[3] = "not-an-email"
            elif broken == 1:
                row[2] = "12"
            else:
                row[5] = "2099-01-01"
        else:
            valid_rows.append(row)
        out.append(row)
    return out, Expected(total=count, invalid=n_invalid, duplicates=n_dup)


def write_csv(
    path: Path, data: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerows(data)
    return path


def iter_rows(count: int, seed: int = 7) -> Iterator[list[str]]:
    data, _ = rows(count, seed=seed)
    yield from data
