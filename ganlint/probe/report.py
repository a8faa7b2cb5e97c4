"""ProbeReport: what a probe run measured. Plain data, no torch: the contract `ganlint fix --verify` reads.

The JSON form (`report.json`) is versioned by SCHEMA ("ganlint-probe/1"); docs/probe.md documents every field.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ganlint.core.types import Finding, Fix, Location, Severity

SCHEMA = "ganlint-probe/1"


@dataclass
class ProbeReport:
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)  # summary numbers (see docs/probe.md)
    series: dict[str, list[list[float]]] = field(default_factory=dict)  # name -> [[step, value], ...]
    family: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # hyperparameters the recipe used, with their origin
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> {class, parameters, built_by, ...}
    data: dict[str, Any] = field(default_factory=dict)  # what data was used (name, shape, mean/std, modes)
    samples: dict[str, Any] = field(default_factory=dict)  # 2-D points for plots: real, fake (last evaluation)
    static: list[dict[str, Any]] = field(default_factory=list)  # static findings confirmed / dismissed here
    device: str = "cpu"
    threads: int | None = None
    seed: int = 0
    steps_requested: int = 0
    stopped: str = "completed"  # completed | early-stop | time-budget | interrupted | non-finite | error
    timings: dict[str, float] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    out_dir: str | None = None

    # -- convenience --------------------------------------------------------------------------
    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)

    def metric(self, name: str, default: float | None = None) -> float | None:
        return self.metrics.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        from ganlint.probe.health import health_score

        return {
            "schema": SCHEMA,
            "family": self.family,
            "device": self.device,
            "threads": self.threads,
            "seed": self.seed,
            "steps_requested": self.steps_requested,
            "stopped": self.stopped,
            "health": health_score(self),
            "metrics": _jsonable(self.metrics),
            "findings": [_jsonable(f.to_dict()) for f in self.findings],
            "static": _jsonable(self.static),
            "settings": _jsonable(self.settings),
            "networks": _jsonable(self.networks),
            "data": _jsonable(self.data),
            "timings": _jsonable(self.timings),
            "files": list(self.files),
            "errors": list(self.errors),
            "notes": list(self.notes),
            "series": {k: [[int(s), _num(v)] for s, v in pts] for k, pts in self.series.items()},
            "samples": _jsonable(self.samples),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProbeReport":
        if d.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} report: schema={d.get('schema')!r}")
        findings = []
        for f in d.get("findings", []):
            loc = Location(f["file"], f["line"], f.get("column", 1), f.get("end_line"), f.get("end_column"))
            fix = None
            if f.get("fix"):
                fix = Fix(f["fix"]["message"], [], f["fix"].get("safe", True), f["fix"].get("stage"))
            findings.append(
                Finding(f["code"], f["slug"], Severity.parse(f["severity"]), f["message"], loc,
                        fix=fix, evidence=f.get("evidence", {}), family=f.get("family"))
            )
        return cls(
            findings=findings,
            metrics={k: (float("nan") if v is None else v) for k, v in d.get("metrics", {}).items()},
            series={k: [list(p) for p in v] for k, v in d.get("series", {}).items()},
            family=d.get("family"),
            settings=d.get("settings", {}),
            networks=d.get("networks", {}),
            data=d.get("data", {}),
            samples=d.get("samples", {}),
            static=d.get("static", []),
            device=d.get("device", "cpu"),
            threads=d.get("threads"),
            seed=d.get("seed", 0),
            steps_requested=d.get("steps_requested", 0),
            stopped=d.get("stopped", "completed"),
            timings=d.get("timings", {}),
            files=d.get("files", []),
            errors=d.get("errors", []),
            notes=d.get("notes", []),
        )

    def write(self, out_dir: str, html: bool = True) -> dict[str, str]:
        """Write report.json (and report.html) into out_dir; returns {kind: path}."""
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir = out_dir
        paths = {"json": os.path.join(out_dir, "report.json")}
        tmp = paths["json"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=1, allow_nan=False, default=str)
        os.replace(tmp, paths["json"])
        if html:
            from ganlint.probe.html import render_html

            paths["html"] = os.path.join(out_dir, "report.html")
            with open(paths["html"], "w", encoding="utf-8") as fh:
                fh.write(render_html(self))
        return paths


def load_report(path: str) -> ProbeReport:
    with open(path, encoding="utf-8") as fh:
        return ProbeReport.from_dict(json.load(fh))


def _num(v: Any) -> Any:
    """JSON has no NaN/Inf: they are written as null (and read back as NaN)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return f


def _jsonable(value: Any) -> Any:
    """Plain JSON values; NaN/Inf become null, numpy/torch scalars become numbers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return _jsonable(value.item())
        except (TypeError, ValueError, RuntimeError):
            pass
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    return repr(value)
