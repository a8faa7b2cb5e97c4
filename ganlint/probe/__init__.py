"""The runtime probe: trains the user's networks briefly and measures what is wrong (GL5xx).

Importing this package never imports torch (so `ganlint check` stays torch-free); torch is imported
inside the functions that train.

    from ganlint.probe import run_probe
    report = run_probe(["fixtures/wgan_gp_000_broken"], steps=2000)
    report.findings, report.metrics["spread_ratio"], health_score(report)

For your own loop: `ganlint.probe.Probe` (hooks + context manager) and
`ganlint.probe.lightning.GanlintCallback`. See docs/probe.md.
"""
from __future__ import annotations

from typing import Any

from ganlint.probe.health import health_score
from ganlint.probe.report import SCHEMA, ProbeReport, load_report

__all__ = ["run_probe", "ProbeReport", "Probe", "health_score", "load_report", "SCHEMA", "ProbeError"]


def run_probe(
    paths: list[str],
    *,
    steps: int = 2000,
    seed: int = 0,
    device: str = "auto",
    family: str | None = None,
    data: Any = None,
    entry: str | None = None,
    out_dir: str | None = None,
    time_budget: float | None = None,
    early_stop: bool = True,
    write_report: bool = True,
    progress: bool = False,
    threads: int | None = None,
    rule_options: dict[str, dict[str, Any]] | None = None,
) -> ProbeReport:
    """Build the networks found in `paths`, train them `steps` steps with the family's recipe and the
    user's hyperparameters, and return what the instruments and detectors measured.

    data: None (config `data:` section or the family's built-in set), a file (.npy/.csv/.pt), a built-in
    name ("two_gaussians", "ring8", "grid9", ...), or an array/tensor. out_dir: where report.json and
    report.html go (default "ganlint-probe"; nothing is written when write_report is False).
    rule_options: thresholds by rule code, {code: {option: value}} (as [tool.ganlint.rules.<code>]).
    Raises ProbeError (exit 2 in the CLI) when it cannot build, or when user code raises outside training.
    """
    from ganlint.probe.runner import run

    return run(list(paths), steps=steps, seed=seed, device=device, family=family, data=data, entry=entry,
               out_dir=out_dir, time_budget=time_budget, early_stop=early_stop, write_report=write_report,
               progress=progress, threads=threads, rule_options=rule_options)


def __getattr__(name: str) -> Any:  # lazy: these import torch
    if name == "Probe":
        from ganlint.probe.api import Probe

        return Probe
    if name == "ProbeError":
        from ganlint.probe.errors import ProbeError

        return ProbeError
    raise AttributeError(name)
