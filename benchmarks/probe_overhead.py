"""Instrument overhead of the probe: the same recipe with the default instrument schedule vs with no
instruments at all, measured in the same run (interleaved repeats; the minimum of each is the least disturbed by other work on
a shared machine), on CPU with one thread.

    .venv/bin/python benchmarks/probe_overhead.py [--steps 600] [--repeats 3] [FIXTURE ...]

Target: <= 1.05x at the default schedule (grads every 25 steps, activations every 50, samples every 100,
latents every 25, parameters every 50; scalars every step).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(folder: str, steps: int, instruments) -> float:
    from ganlint.probe.runner import run

    rep = run([folder], steps=steps, seed=0, write_report=False, early_stop=False, threads=1, instruments=instruments)
    return rep.timings["train_s"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("fixtures", nargs="*", default=["wgan_gp_000_broken", "vae_003_healthy", "energy_004_broken"])
    a = ap.parse_args()
    print(f"probe instrument overhead, {a.steps} steps, 1 thread, min of {a.repeats} interleaved runs")
    ratios = []
    for name in a.fixtures:
        folder = str(ROOT / "fixtures" / name)
        timed(folder, 50, True)  # warm-up: imports, allocator
        on, off = [], []
        for _ in range(a.repeats):
            off.append(timed(folder, a.steps, "none"))
            on.append(timed(folder, a.steps, True))
        r = min(on) / min(off)
        ratios.append(r)
        print(f"  {name:24s} off {min(off):6.2f} s   on {min(on):6.2f} s   ratio {r:.3f}x   "
              f"(medians {statistics.median(off):.2f} / {statistics.median(on):.2f} s)")
    print(f"overall (geometric mean) {statistics.geometric_mean(ratios):.3f}x  (target <= 1.05x)")


if __name__ == "__main__":
    main()
