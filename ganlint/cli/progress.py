"""The progress bar of `ganlint fix --verify` on a terminal: which run (baseline, stage N, search trial), how
many of the expected runs are done, the time elapsed and the time left at the mean pace of the finished runs.

Drawn on one line with "\\r" on stderr, only on a terminal (piped output stays clean), and redrawn every
second by a daemon thread so that the clock moves while a probe run trains (a run takes 10-60 s)."""
from __future__ import annotations

import threading
import time
from typing import Any, TextIO

WIDTH = 24
TICK_S = 1.0


def _clock(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60}:{s % 60:02d}"


def stage_of(label: str) -> str:
    """"baseline", "stage 2", "search" (trial and study-best runs) from a probe run's label."""
    if label.startswith(("trial", "study best")):
        return "search"
    return label.split(" {", 1)[0] or "probe"


class VerifyProgress:
    """A callable for `verify_plan(progress=...)`: one line, redrawn on each event and every second."""

    def __init__(self, stream: TextIO, tick: float = TICK_S):
        self.stream = stream
        self.t0 = time.monotonic()
        self.finished: list[float] = []  # seconds of each finished run
        self.event: dict[str, Any] | None = None
        self.event_at = self.t0
        self.width = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, args=(tick,), daemon=True)
        self._ticker.start()

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        ev = self.event or {}
        done, planned = int(ev.get("done") or 0), max(int(ev.get("planned") or 0), 1)
        running = ev.get("event") == "probing"
        planned = max(planned, done + running)
        filled = int(WIDTH * min(done / planned, 1.0))
        if self.finished:
            pace = sum(self.finished) / len(self.finished)
            left = pace * (planned - done) - (now - self.event_at if running else 0.0)
            eta = f"ETA ≤{_clock(max(left, 0.0))}"
        else:
            eta = "ETA -:--"  # no run finished yet: no pace to extrapolate
        return (f"ganlint fix --verify [{'#' * filled:<{WIDTH}}] {done}/{planned} runs · {stage_of(str(ev.get('label', '')))}"
                f" · {_clock(now - self.t0)} elapsed · {eta}")

    def _draw(self) -> None:
        text = self.line()
        pad = " " * max(0, self.width - len(text))
        self.width = len(text)
        try:
            self.stream.write("\r" + text + pad)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth failing for
            self._stop.set()

    def __call__(self, event: dict[str, Any]) -> None:
        with self._lock:
            if event.get("event") == "probed" and event.get("seconds") is not None:
                self.finished.append(float(event["seconds"]))
            self.event, self.event_at = dict(event), time.monotonic()
            self._draw()

    def _tick(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                if self.event is not None:
                    self._draw()

    def close(self) -> None:
        self._stop.set()
        self._ticker.join(timeout=2)
        with self._lock:
            if self.width:
                try:
                    self.stream.write("\n")
                    self.stream.flush()
                except (OSError, ValueError):
                    pass
