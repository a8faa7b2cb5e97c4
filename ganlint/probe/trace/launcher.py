"""The parent side: start the child with the user's argv, wait, read its status and report.

The program's own output (prints, progress bars, its argparse usage) goes to stderr, so that stdout carries
only ganlint's summary (or JSON). Ctrl-C reaches the child too (same process group); the parent waits for
it to write its report. A child that outlives its time budget by a minute is killed.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from ganlint.probe.errors import ProbeError

KILL_GRACE_S = 60.0


@dataclass
class RunResult:
    report: Any  # ProbeReport or None
    kind: str  # ok | exception | missing | argparse | exit | no-step | internal | killed
    message: str = ""
    paths: dict | None = None
    stopped: str = ""

    @property
    def failed(self) -> bool:
        return self.kind != "ok"


def run_program(script: str | None = None, module: str | None = None, args: list[str] | None = None, *,
                steps: int | None = 2000, time_budget: float | None = None, out: str = "ganlint-probe",
                fake_data: bool = False, watch: bool = False, stop_on: str | None = None, seed: int = 0,
                stdout=None, stderr=None, rule_options: dict[str, dict[str, Any]] | None = None) -> RunResult:
    """Run `python SCRIPT ARGS` (or `python -m MODULE ARGS`) under the instruments; return what it measured.

    rule_options: thresholds by rule code, {code: {option: value}} as `[tool.ganlint.rules.<code>]` holds them
    (checking.options.load_options().rule_options); they shape the child's instruments and detectors."""
    from ganlint.probe.report import load_report

    if bool(script) == bool(module):
        raise ProbeError("give a script or -m module")
    if script and not os.path.isfile(script):
        raise ProbeError(f"{script}: no such file")
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ganlint-trace-") as tmp:
        spec_path, status_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "status.json")
        spec = {"script": os.path.abspath(script) if script else None, "module": module, "args": list(args or []),
                "steps": None if watch else steps, "time_budget": time_budget, "out": out, "fake_data": fake_data,
                "watch": watch, "stop_on": stop_on, "seed": seed, "status": status_path,
                "rule_options": {code: dict(v) for code, v in (rule_options or {}).items()}}
        with open(spec_path, "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        cmd = [sys.executable, "-m", "ganlint.probe.trace.child", spec_path]
        proc = subprocess.Popen(cmd, stdout=stdout if stdout is not None else sys.stderr.fileno(), stderr=stderr, env=env)
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child gets Ctrl-C and reports; we wait
        # `timeout`, a job scheduler or `kill` send SIGTERM to us only: passed on as a Ctrl-C, the child stops
        # at its next step and writes its partial report, as it does for a terminal's Ctrl-C
        old_term = signal.signal(signal.SIGTERM, lambda *_: proc.poll() is None and proc.send_signal(signal.SIGINT))
        try:
            limit = None if time_budget is None else float(time_budget) + KILL_GRACE_S
            try:
                proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return RunResult(None, "killed", f"the program did not stop within {limit:.0f} s of its time budget")
        finally:
            signal.signal(signal.SIGINT, old)
            signal.signal(signal.SIGTERM, old_term)
        if not os.path.isfile(status_path):
            return RunResult(None, "internal", f"the probe's child process ended (status {proc.returncode}) "
                             "without a report")
        with open(status_path, encoding="utf-8") as fh:
            status = json.load(fh)
    if status.get("kind") == "internal":
        if os.environ.get("GANLINT_DEBUG"):
            sys.stderr.write(status.get("trace", ""))
        return RunResult(None, "internal", status.get("message", ""))
    paths = status.get("report") or {}
    report = load_report(paths["json"]) if paths.get("json") else None
    return RunResult(report, status.get("kind", "ok"), status.get("message", ""), paths, status.get("stopped", ""))
