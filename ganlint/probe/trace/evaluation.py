"""Generated vs real sample statistics (ganlint.probe.stats.Reference), computed off the training thread.

An evaluation (k-NN precision/recall/density/coverage, modes, KDE or MMD: ~0.1 s of CPU on 768 points) runs
every SAMPLES generator steps. In the user's own loop it runs on one worker thread, so the loop does not wait
for it: the main thread hands over the features it kept (references, no copy for CPU tensors) and records
the statistics when they are ready, under the step they were taken at. The values are the same as a
synchronous evaluation's (same points, same seeds); only the moment they land differs. Before the program
forks (DataLoader workers) the worker is drained, so no half-done computation is forked.
"""
from __future__ import annotations

import os
import queue
import threading
import weakref
from collections import deque
from typing import Any

FAKE_KEEP, REF_MODES = 768, 768
_LIVE: "weakref.WeakSet[SampleEvaluator]" = weakref.WeakSet()


def _drain_all() -> None:
    for ev in list(_LIVE):
        ev.drain()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_drain_all)


def import_dependencies() -> None:
    """Import what an evaluation uses (numpy, scipy.spatial, scipy.special, the sample measures: ~0.5 s of CPU)
    in the calling (main) thread, once the program has a generator and a critic: left to the worker's first
    evaluation, the same imports would land mid-training, holding the interpreter lock against the loop."""
    try:
        import scipy.spatial  # noqa: F401 - samples/knn.py's cKDTree
        import scipy.special  # noqa: F401 - samples/modes.py's log_ndtr

        import ganlint.probe.data  # noqa: F401 - find_modes
        import ganlint.probe.samples  # noqa: F401
        import ganlint.probe.stats  # noqa: F401
    except ImportError:  # the evaluation reports what is missing; an instrument never breaks the program
        pass


class SampleEvaluator:
    def __init__(self, seed: int = 0, min_share: float = 0.25):
        self.seed, self.min_share = seed, min_share
        self.reference = None  # owned by the worker thread once started
        self.reference_n = 0
        self.pending: deque = deque()  # (step, done Event, result holder)
        self.errors: list[str] = []
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        _LIVE.add(self)

    # -- main thread ---------------------------------------------------------------------------------
    def submit(self, step: int, real: list, fake: list) -> None:
        """real / fake: lists of (N, d) feature tensors (as kept); CUDA tensors are copied to the CPU here,
        once per evaluation (every SAMPLES steps, not per step), so the worker never reads another stream's
        memory."""
        import torch

        if any(t.device.type != "cpu" for t in real + fake):  # one copy per side, not one per kept batch
            real, fake = [torch.cat(real).cpu()], [torch.cat(fake).cpu()]
        job = (step, threading.Event(), {})
        self.pending.append(job)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="ganlint-samples", daemon=True)
            self._thread.start()
        self._jobs.put((job, real, fake))

    def collect(self, probe, wait: bool = False) -> int:
        """Record the evaluations that are done (all of them with wait); returns how many landed."""
        landed = 0
        while self.pending and (wait or self.pending[0][1].is_set()):
            step, done, out = self.pending.popleft()
            done.wait()
            stats = out.get("stats")
            if stats is None:
                continue
            for k, v in stats.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    probe.record(k, step, float(v))
            probe.last_samples = {"step": step, "stats": stats}  # no points: the report lists none of the data
            if stats.get("non_finite_samples"):
                probe.non_finite(step, "generated samples", float("nan"))
            landed += 1
        return landed

    def drain(self) -> None:
        for _, done, _ in list(self.pending):
            done.wait()

    # -- worker thread -------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            (step, done, out), real, fake = self._jobs.get()
            try:
                out["stats"] = self._evaluate(real, fake)
            except Exception as exc:  # noqa: BLE001 - an instrument never breaks the user's program
                self.errors.append(f"sample statistics at step {step}: {type(exc).__name__}: {exc}")
            finally:
                done.set()

    def _evaluate(self, real: list, fake: list) -> dict[str, Any] | None:
        import torch

        from ganlint.probe.data import find_modes
        from ganlint.probe.stats import Reference

        n_real = sum(len(b) for b in real)
        if self.reference is None or (self.reference_n < 512 and n_real >= 512):
            x = torch.cat(real).float()
            if not bool(torch.isfinite(x).all()):
                return None
            modes, _ = find_modes(x[:REF_MODES], seed=self.seed)  # k-means + silhouette: on a subsample
            self.reference = Reference(x, modes, n=max(len(x) // 2, 32), seed=self.seed)
            self.reference_n = len(x)
        return self.reference.compare(torch.cat(fake).float()[-FAKE_KEEP:], self.min_share)
