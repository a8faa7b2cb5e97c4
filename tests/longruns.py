"""The suite's longest runs, real `ganlint fix --verify` processes of a minute or more each, started in the
background when the session begins and run one after another, so they overlap the rest of the suite: pytest
runs the other tests on one core and CI has two. Each command is the one its test ran itself before; the tests
that judge a run are moved to the end of the session (conftest.py) and wait for its result.

A run starts only when a selected test asks for its fixture, so `pytest path::one_test` starts nothing else.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
HELDOUT = ROOT / "tests" / "fix" / "heldout"
GANLINT = str(Path(sys.executable).with_name("ganlint"))
NICE = 10  # the background runs' niceness: they use the core the one-process suite leaves idle


@dataclass
class Verified:
    """One finished `fix --verify`: the process, its fix-report.json, -o's folder, the input project copy."""
    proc: subprocess.CompletedProcess
    report: dict
    out: Path
    project: Path
    independent: list | None = None  # independent_wgan_gp.train's judgement of the written config.yaml


@dataclass
class Spec:
    source: Path  # the project folder, copied (its expected.toml removed) before the run
    report_in_project: bool  # --report-dir under the project copy (as test_acceptance's verify) or under -o
    extra: tuple[str, ...]
    timeout: float
    independent_steps: int = 0  # then the written config.yaml is trained by independent_wgan_gp.py this long


def _verify_args(base: Path, spec: Spec) -> tuple[list[str], Path, Path, Path]:
    d, out = base / spec.source.name, base / "out"
    shutil.copytree(spec.source, d)
    (d / "expected.toml").unlink(missing_ok=True)
    report = (d if spec.report_in_project else out) / "fix-report"
    argv = [GANLINT, "fix", "--verify", "-o", str(out), "--report-dir", str(report), "--workers", "2",
            *(a.replace("{base}", str(base)) for a in spec.extra), str(d)]
    return argv, d, out, report


# fixture name -> the run (the order of this table is the order they run in: the first judged first)
RUNS: dict[str, Spec] = {
    # seed 000 at the full 2000 steps, 2 search trials in an sqlite study: test_acceptance and test_verify_holds_up
    "seed000_verified": Spec(FIXTURES / "wgan_gp_000_broken", False,
                             ("--trials", "2", "--storage", "sqlite:///{base}/study.db"), 1800, 2000),
    "vae003_verified": Spec(FIXTURES / "vae_003_broken", True, ("--steps", "2000", "--stage", "2"), 600),
    "energy004_verified": Spec(FIXTURES / "energy_004_broken", True,
                               ("--steps", "500", "--trials", "3", "--stage", "2"), 600),
    "helper_sigmoid_verified": Spec(HELDOUT / "wgan_gp_helper_sigmoid", False, ("--trials", "2"), 1800, 2000),
}


class Runs:
    """The queue of RUNS the selected tests need, run by one thread; result(name) waits for one."""

    def __init__(self, base: Path, names: list[str]):
        self.base, self.names = base, [n for n in RUNS if n in names]
        self._done: dict[str, threading.Event] = {n: threading.Event() for n in self.names}
        self._results: dict[str, Verified | str] = {}
        self._proc: subprocess.Popen | None = None
        self._stopping = False
        self._nice = NICE
        self._thread = threading.Thread(target=self._work, name="longruns", daemon=True)

    def start(self) -> "Runs":
        if self.names:
            self._thread.start()
        return self

    def _work(self) -> None:
        for name in self.names:
            try:
                self._results[name] = self._run(name)
            except Exception as exc:  # noqa: BLE001 (reported by the test that asks for it)
                self._results[name] = f"{name}: {type(exc).__name__}: {exc}"
            self._done[name].set()

    def _run(self, name: str) -> Verified | str:
        if self._stopping:
            return f"{name}: not run (the session ended first)"
        spec = RUNS[name]
        base = self.base / name
        base.mkdir(parents=True)
        argv, d, out, report = _verify_args(base, spec)
        t0 = time.monotonic()
        proc = self._call(argv, spec.timeout)
        if isinstance(proc, str):
            return f"{name}: {proc}"
        rep_file = report / "fix-report.json"
        if proc.returncode not in (0, 1) or not rep_file.is_file():
            return f"{name}: exit {proc.returncode} after {time.monotonic() - t0:.0f} s\n{proc.stdout}{proc.stderr}"
        v = Verified(proc, json.loads(rep_file.read_text()), out, d)
        if spec.independent_steps:
            loop = self._call([sys.executable, str(ROOT / "tests" / "fix" / "independent_wgan_gp.py"),
                               str(out / "config.yaml"), spec.source.name, str(spec.independent_steps)], spec.timeout)
            if isinstance(loop, str) or loop.returncode != 0:
                return f"{name}: the independent loop failed: {loop if isinstance(loop, str) else loop.stderr}"
            v.independent = json.loads(loop.stdout.strip().splitlines()[-1])
        return v

    def _call(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess | str:
        if self._stopping:
            return "not run (the session ended first)"
        # its own process group (a session that ends early stops it and its probe workers), at a lower priority:
        # the tests in the foreground keep their core
        self._proc = p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        self._renice(self._nice)  # before it starts its probe workers, which inherit it (no preexec_fn here)
        try:
            stdout, stderr = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(p)
            p.communicate()
            return f"`{' '.join(argv)}` ran past {timeout:.0f} s"
        finally:
            self._proc = None
        return subprocess.CompletedProcess(argv, p.returncode, stdout, stderr)

    def result(self, name: str) -> Verified:
        import pytest

        if name not in self._done:
            pytest.fail(f"{name} was not started: its test was not selected when the session began")
        if not self._done[name].is_set():  # the foreground waits: nothing left to keep a core for
            self._nice = 0
            self._renice(0)  # back to normal priority where allowed (lowering niceness may need privileges)
        self._done[name].wait()
        got = self._results[name]
        if isinstance(got, str):
            pytest.fail(got, pytrace=False)
        return got

    def _renice(self, nice: int) -> None:
        p = self._proc
        if p is not None:
            try:
                os.setpriority(os.PRIO_PGRP, p.pid, nice)
            except OSError:
                pass

    def stop(self) -> None:
        """Ends the queue: the run in progress is killed with its process group, the rest never start."""
        self._stopping = True
        deadline = time.monotonic() + 30
        while self._thread.is_alive() and time.monotonic() < deadline:
            p = self._proc
            if p is not None and p.poll() is None:
                _kill_group(p)
            self._thread.join(timeout=0.5)


def _kill_group(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        p.kill()


def needed(items) -> list[str]:
    """The RUNS that the selected tests ask for (directly or through another fixture)."""
    want = set()
    for item in items:
        want |= set(getattr(item, "fixturenames", ())) & set(RUNS)
    return [n for n in RUNS if n in want]


def judges_a_long_run(item) -> bool:
    return bool(set(getattr(item, "fixturenames", ())) & set(RUNS))
