"""CPU per unit of work, from the CPU seconds each part of the stack had used before and
after it (the bench's phases share these)."""


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
