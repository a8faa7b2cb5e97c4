#!/usr/bin/env python3
"""How fast is `ganlint check`? Two measurements, each against a baseline taken in the same run.

1. Start-up: whole-process wall time of `ganlint check model.py config.yaml` on the document-000 fixture
   (median of 15 runs, after one warm-up run that also writes the bytecode cache), next to
   `python -c pass`. Budget: 0.25 s.
2. Throughput: a tree of real-size training code, assembled in a temporary folder from the installed
   packages' own training code (torch/optim, torch/nn/modules, optuna/samplers: optimizers, layers,
   samplers — thousands of lines of real PyTorch-style code) plus this repository's fixtures. Files/s of
   `ganlint check TREE` (median of 5 runs), then the ratio against `pylint --jobs=1` (default checks) on the
   same Python files. The machines this runs on are shared and noisy, so the ratio is measured in
   --pairs rounds, each one ganlint run right before and one right after one pylint run (both see the same
   load), and reported three ways: the median of the rounds' wall-time ratios, the ratio of the median wall
   times, and the ratio of CPU times (user + system of each child, which a busy neighbour barely moves).
   Target: >= 60x.

    python benchmarks/check_speed.py [--runs 15] [--pairs 3] [--max-files N] [--skip-pylint]

Prints a small report; exits 0 (it measures, it does not judge: the numbers are for the README/notes).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TREE_SOURCES = [("torch", "optim"), ("torch", "nn/modules"), ("optuna", "samplers")]


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode cache: measure that
    env.pop("PYTHONPATH", None)
    return env


def wall(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, proc.returncode


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child: user + system, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t, rc = wall(cmd, cwd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), rc


def median_wall(cmd: list[str], cwd: Path, env: dict, runs: int) -> tuple[float, float, int]:
    wall(cmd, cwd, env)  # warm-up: bytecode cache, page cache
    times, rc = [], 0
    for _ in range(runs):
        t, rc = wall(cmd, cwd, env)
        times.append(t)
    return statistics.median(times), min(times), rc


def startup(runs: int) -> None:
    env = _env()
    fixture = ROOT / "fixtures" / "wgan_gp_000_broken"
    base_cmd = [sys.executable, "-c", "pass"]
    cmd = [str(BIN / "ganlint"), "check", "model.py", "config.yaml"]
    wall(base_cmd, fixture, env)
    wall(cmd, fixture, env)  # warm-up: writes the bytecode cache
    base, times, rc = [], [], 0
    for _ in range(runs):  # interleaved, so that both see the same machine load
        base.append(wall(base_cmd, fixture, env)[0])
        t, rc = wall(cmd, fixture, env)
        times.append(t)
    med, b = statistics.median(times), statistics.median(base)
    print("== start-up: ganlint check model.py config.yaml (fixtures/wgan_gp_000_broken), "
          f"median of {runs}, interleaved")
    print(f"   python -c pass        median {b * 1000:7.1f} ms   min {min(base) * 1000:7.1f} ms")
    print(f"   ganlint check         median {med * 1000:7.1f} ms   min {min(times) * 1000:7.1f} ms   (exit {rc})")
    print(f"   budget 250 ms: {'OK' if med < 0.25 else 'OVER'}  (ganlint's own share: {(med - b) * 1000:.1f} ms; "
          f"load average {os.getloadavg()[0]:.2f})")


def build_tree(dest: Path, max_files: int | None) -> list[Path]:
    files: list[Path] = []
    for package, sub in TREE_SOURCES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            print(f"   (skipping {package}/{sub}: {package} is not installed)")
            continue
        src = Path(list(spec.submodule_search_locations)[0]) / sub
        for path in sorted(src.rglob("*.py")):
            target = dest / package / sub / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            files.append(target)
    for path in sorted((ROOT / "fixtures").rglob("*")):
        if path.suffix in (".py", ".yaml", ".json", ".toml") and path.name != "expected.toml":
            target = dest / "fixtures" / path.relative_to(ROOT / "fixtures")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            files.append(target)
    if max_files is not None and len(files) > max_files:
        for extra in files[max_files:]:
            extra.unlink()
        files = files[:max_files]
    return files


def throughput(max_files: int | None, skip_pylint: bool, pairs: int) -> None:
    env = _env()
    with tempfile.TemporaryDirectory(prefix="ganlint-bench-") as tmp:
        tree = Path(tmp) / "tree"
        files = build_tree(tree, max_files)
        py = [f for f in files if f.suffix == ".py"]
        lines = sum(len(f.read_text(encoding="utf-8", errors="replace").splitlines()) for f in files)
        print(f"== throughput: {len(files)} files ({len(py)} Python), {lines} lines")
        print(f"   from: {', '.join(f'{p}/{s}' for p, s in TREE_SOURCES)} (installed packages) + fixtures/")
        med, fastest, rc = median_wall([str(BIN / "ganlint"), "check", "--exit-zero", str(tree)], Path(tmp), env, 5)
        g_rate = len(files) / med
        print(f"   ganlint check TREE    median {med:7.3f} s   {g_rate:9.1f} files/s   {lines / med:10.0f} lines/s  (exit {rc})")
        if skip_pylint:
            return
        pylint = BIN / "pylint"
        if not pylint.exists():
            print("   pylint is not installed (dev extra): no ratio")
            return
        # pylint reads the Python files (it has no idea of YAML/JSON/TOML): compare on the same Python files.
        g_cmd = [str(BIN / "ganlint"), "check", "--exit-zero", *map(str, py)]
        p_cmd = [str(pylint), "--jobs=1", "--persistent=n", "--score=n", *map(str, py)]
        wall(g_cmd, Path(tmp), env)  # warm-up: bytecode and page caches
        g_wall, g_cpu, p_wall, p_cpu, ratios, cpu_ratios = [], [], [], [], [], []
        p_rc = 0
        for i in range(pairs):  # interleaved: ganlint, pylint, ganlint; each round judged on its own load
            gw1, gc1, _ = timed(g_cmd, Path(tmp), env)
            pw, pc, p_rc = timed(p_cmd, Path(tmp), env)
            gw2, gc2, _ = timed(g_cmd, Path(tmp), env)
            g_wall += [gw1, gw2]
            g_cpu += [gc1, gc2]
            p_wall.append(pw)
            p_cpu.append(pc)
            ratios.append(pw / statistics.mean([gw1, gw2]))
            cpu_ratios.append(pc / statistics.mean([gc1, gc2]))
            print(f"   round {i + 1}: pylint {pw:7.2f} s wall {pc:7.2f} s CPU;  ganlint {gw1:5.2f}/{gw2:5.2f} s wall "
                  f"{gc1:5.2f}/{gc2:5.2f} s CPU;  ratio {ratios[-1]:5.1f}x wall {cpu_ratios[-1]:5.1f}x CPU  "
                  f"(load {os.getloadavg()[0]:.2f})", flush=True)
        n = len(py)
        print(f"   pylint --jobs=1       median {statistics.median(p_wall):7.3f} s wall  {statistics.median(p_cpu):7.3f} s CPU  "
              f"{n / statistics.median(p_wall):9.2f} files/s   (default checks, exit {p_rc}; {pairs} runs)")
        print(f"   ganlint, same files   median {statistics.median(g_wall):7.3f} s wall  {statistics.median(g_cpu):7.3f} s CPU  "
              f"{n / statistics.median(g_wall):9.1f} files/s   ({2 * pairs} runs)")
        print(f"   ratio ganlint/pylint (files/s, same {n} Python files; target >= 60x):")
        print(f"     median of the rounds' wall ratios   {statistics.median(ratios):6.1f}x   "
              f"(rounds: {', '.join(f'{r:.1f}' for r in ratios)})")
        print(f"     ratio of the median wall times      {statistics.median(p_wall) / statistics.median(g_wall):6.1f}x")
        print(f"     ratio of the median CPU times       {statistics.median(p_cpu) / statistics.median(g_cpu):6.1f}x   "
              f"(rounds: {', '.join(f'{r:.1f}' for r in cpu_ratios)}; load average {os.getloadavg()[0]:.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description="ganlint check speed")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pairs", type=int, default=3, help="interleaved ganlint/pylint rounds for the ratio")
    parser.add_argument("--max-files", type=int, default=None)
    parser.add_argument("--skip-pylint", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    if not args.skip_startup:
        startup(args.runs)
    throughput(args.max_files, args.skip_pylint, max(1, args.pairs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
