"""The public API the fixer builds on: run_probe, ProbeReport (report.json schema), health_score; torch-free import."""
from __future__ import annotations

import json
import math
import subprocess
import sys

from ganlint.core.types import Finding, Location, Severity
from ganlint.probe import SCHEMA, ProbeReport, health_score, run_probe  # noqa: F401
from ganlint.probe.report import load_report


def test_import_probe_does_not_import_torch():
    code = "import sys, ganlint.probe, ganlint.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_run_probe_signature_is_the_published_one():
    import inspect

    params = inspect.signature(run_probe).parameters
    assert list(params)[0] == "paths"
    want = {"steps": 2000, "seed": 0, "device": "auto", "family": None, "data": None, "entry": None, "out_dir": None,
            "time_budget": None, "early_stop": True, "write_report": True, "progress": False, "threads": None}
    for name, default in want.items():
        assert params[name].default == default, name
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY


def _finding(code, sev):
    return Finding(code, "x", sev, "m", Location("model.py", 3))


def test_health_score_orders_reports():
    healthy = ProbeReport(metrics={"mode_coverage": 1.0, "spread_ratio": 1.05, "kl_real_fake": 0.3})
    sick = ProbeReport(findings=[_finding("GL511", Severity.ERROR), _finding("GL501", Severity.WARNING)],
                       metrics={"mode_coverage": 0.5, "spread_ratio": 0.05, "kl_real_fake": 8.4})
    assert health_score(healthy) < 0.2
    assert health_score(sick) > 8
    assert health_score(sick) == health_score(sick.to_dict())  # the dict form scores the same


def test_report_json_round_trip_and_no_nan(tmp_path):
    rep = ProbeReport(findings=[_finding("GL505", Severity.ERROR)], metrics={"kl_real_fake": float("nan"), "x": 1.5},
                      series={"loss": [[0, 1.0], [1, float("inf")]]}, family="vae", stopped="non-finite")
    paths = rep.write(str(tmp_path))
    text = open(paths["json"]).read()
    d = json.loads(text)  # strict JSON: NaN/Inf written as null
    assert "NaN" not in text and "Infinity" not in text
    assert d["schema"] == SCHEMA and d["series"]["loss"][1] == [1, None]
    back = load_report(paths["json"])
    assert back.codes == ["GL505"] and back.family == "vae" and math.isnan(back.metrics["kl_real_fake"])
    assert "<svg" in open(paths["html"]).read() or "<html" in open(paths["html"]).read()
