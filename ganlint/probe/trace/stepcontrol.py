"""When the traced program stops: N generator (or model) steps, a time budget, Ctrl-C, or an error finding."""
from __future__ import annotations

import time


class StopTraining(BaseException):
    """Raised from an optimizer-step hook to end the user's program cleanly.

    A BaseException so that the program's own `except Exception:` blocks let it through (as Ctrl-C does)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StepControl:
    """Counts optimizer steps per network and decides when the program has run long enough."""

    def __init__(self, steps: int | None, time_budget: float | None, watch: bool = False):
        self.limit = None if watch else steps  # --watch: the program trains as long as it would
        self.time_budget = time_budget
        self.t0 = time.perf_counter()
        self.counts: dict[str, int] = {}  # network name -> optimizer steps
        self.main: str | None = None  # the network whose steps count (generator, else the model)
        self.stop_reason: str | None = None  # set by --stop-on error
        self.first_step_s: float | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    @property
    def main_steps(self) -> int:
        """Generator (or model) steps so far; before the roles are known the least-stepped network's count."""
        if self.main is not None and self.main in self.counts:
            return self.counts[self.main]
        return min(self.counts.values()) if self.counts else 0

    def count(self, name: str) -> None:
        if self.first_step_s is None:
            self.first_step_s = self.elapsed()
        self.counts[name] = self.counts.get(name, 0) + 1

    def check(self) -> None:
        """Called after every optimizer step: raise StopTraining when a limit is reached."""
        if self.stop_reason:
            raise StopTraining(self.stop_reason)
        if self.limit is not None and self.main is not None and self.main_steps >= self.limit:
            raise StopTraining("completed")
        if self.time_budget is not None and self.elapsed() > self.time_budget:
            raise StopTraining("time-budget")
