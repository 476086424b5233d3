"""Step timings of a batch, for its one log line."""

import time


class StepTimer:
    """Milliseconds spent in each step since the previous one (`<step>_ms` keys)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[f"{name}_ms"] = round((now - self._last) * 1000, 1)
        self._last = now
