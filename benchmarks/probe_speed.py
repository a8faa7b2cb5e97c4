"""Speed of a diagnosis on document 000's broken WGAN-GP (CPU): time to the first confident verdict, time to
the early stop, a full 2000-step run, and one vs two intra-op threads measured in the same run.

    .venv/bin/python benchmarks/probe_speed.py [--steps 2000] [--thread-steps 400]

Target: the 2000 steps in < 30 s on 2 CPU cores; the verdict (GL510/GL511 + GL501) long before.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURE = str(ROOT / "fixtures" / "wgan_gp_000_broken")


def main() -> None:
    from ganlint.probe import run_probe

    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--thread-steps", type=int, default=400)
    a = ap.parse_args()
    run_probe([FIXTURE], steps=30, write_report=False, threads=1)  # warm-up

    t = time.perf_counter()
    early = run_probe([FIXTURE], steps=a.steps, write_report=False, threads=1)
    t_early = time.perf_counter() - t
    t = time.perf_counter()
    full = run_probe([FIXTURE], steps=a.steps, write_report=False, threads=1, early_stop=False)
    t_full = time.perf_counter() - t
    print(f"document 000 broken, {a.steps} steps requested, 1 thread")
    print(f"  early stop : {early.codes} after {int(early.metrics['steps_run'])} steps; first confident verdict at step "
          f"{int(early.metrics.get('verdict_step', 0))} ({early.metrics.get('verdict_seconds', float('nan')):.1f} s of training); "
          f"wall {t_early:.1f} s")
    print(f"  full run   : {full.codes}; {int(full.metrics['steps_run'])} steps in {full.timings['train_s']:.1f} s "
          f"training, {t_full:.1f} s wall ({full.timings['steps_per_s']:.0f} steps/s)  target < 30 s")
    print(f"  speed-up of the early stop: {t_full / t_early:.2f}x")

    per = {}
    for threads in (1, 2, 1, 2):
        r = run_probe([FIXTURE], steps=a.thread_steps, write_report=False, threads=threads, early_stop=False)
        per.setdefault(threads, []).append(r.timings["train_s"])
    best = {k: min(v) for k, v in per.items()}
    print(f"threads ({a.thread_steps} steps, best of 2): 1 thread {best[1]:.2f} s, 2 threads {best[2]:.2f} s -> "
          f"2 threads take {best[2] / best[1]:.2f}x the time of 1")

    healthy = str(ROOT / "fixtures" / "wgan_gp_000_healthy")
    perh = {}
    for threads in (1, 2, 1, 2):
        r = run_probe([healthy], steps=a.thread_steps // 2, write_report=False, threads=threads, early_stop=False)
        perh.setdefault(threads, []).append(r.timings["train_s"])
    bh = {k: min(v) for k, v in perh.items()}
    print(f"healthy twin (batch 128, [256,256] critic; {a.thread_steps // 2} steps): 1 thread {bh[1]:.2f} s, "
          f"2 threads {bh[2]:.2f} s -> {bh[2] / bh[1]:.2f}x")


if __name__ == "__main__":
    main()
