"""CPU per unit of work, from the CPU seconds each part of the stack had used before and
after it (the bench's phases share these), and how fast the machine is at the moment."""

import os
import platform
import time
from typing import Any

# The fixed workload of `reference_ms`: ~80 ms of one core here.
_REFERENCE_LOOPS = 1_500_000


def cpu_us_per_unit(
    before: dict[str, float], after: dict[str, float], units: int
) -> dict[str, float]:
    """Microseconds of each part's CPU per unit (row, message) between the two readings."""
    return {k: round((after[k] - before.get(k, 0.0)) / units * 1e6, 1) for k in after}


def less_idle(
    cpu_us_per_unit: dict[str, float], idle: dict[str, float], seconds: float, units: int
) -> dict[str, float]:
    """CPU per unit without what the idle stack (microseconds a second of each part) would
    have spent over `seconds`."""
    return {k: round(v - idle.get(k, 0.0) * seconds / units, 1) for k, v in cpu_us_per_unit.items()}


def reference_ms() -> float:
    """The CPU time of a fixed pure-Python workload, best of three, in milliseconds: how fast
    this machine is as the bench finishes. A shared host's speed moves: the same Mailpit took
    487 and 587 us of CPU a message an hour apart (2026-12-03), so two runs' figures compare
    only at about the same reference."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(_REFERENCE_LOOPS):
            total += i * i % 7
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def machine() -> dict[str, Any]:
    """What a bench result records of the machine it ran on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "reference_ms": reference_ms(),
    }


def reference_line(result: dict[str, Any]) -> str:
    ms = result["machine"]["reference_ms"]
    return f"machine reference {ms:.0f} ms (a fixed Python workload's CPU; lower is faster)"
