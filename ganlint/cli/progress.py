"""The progress bar of `ganlint fix --verify` on a terminal: which run (baseline, stage N, search trial), how
many of the expected runs are done, and the time left at the mean pace of the finished runs.

Drawn on one line with "\\r" (stderr only, and only on a terminal: piped output stays clean)."""
from __future__ import annotations

import time
from typing import Any, TextIO

WIDTH = 24


def _clock(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60}:{s % 60:02d}"


def stage_of(label: str) -> str:
    """"baseline", "stage 2", "search" (trial and study-best runs) from a probe run's label."""
    if label.startswith(("trial", "study best")):
        return "search"
    return label.split(" {", 1)[0] or "probe"


class VerifyProgress:
    """A callable for `verify_plan(progress=...)`: one redrawn line per event."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.t0 = time.monotonic()
        self.finished: list[float] = []
        self.width = 0

    def line(self, event: dict[str, Any]) -> str:
        done, planned = int(event.get("done") or 0), max(int(event.get("planned") or 0), 1)
        if event.get("event") == "probed" and event.get("seconds") is not None:
            self.finished.append(float(event["seconds"]))
        planned = max(planned, done + (event.get("event") == "probing"))
        filled = int(WIDTH * min(done / planned, 1.0))
        if self.finished:
            eta = f"ETA ≤{_clock(sum(self.finished) / len(self.finished) * (planned - done))}"
        else:
            eta = "ETA -:--"  # no run finished yet: no pace to extrapolate
        elapsed = _clock(time.monotonic() - self.t0)
        return (f"ganlint fix --verify [{'#' * filled:<{WIDTH}}] {done}/{planned} runs · {stage_of(str(event.get('label', '')))}"
                f" · {elapsed} elapsed · {eta}")

    def __call__(self, event: dict[str, Any]) -> None:
        text = self.line(event)
        pad = " " * max(0, self.width - len(text))
        self.width = len(text)
        try:
            self.stream.write("\r" + text + pad)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth failing for
            pass

    def close(self) -> None:
        if self.width:
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass
