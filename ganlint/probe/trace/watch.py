"""--watch: findings written as they are confirmed (report.json rewritten atomically, one line each on
stderr); --stop-on error ends the program cleanly once an error-severity finding is confirmed."""
from __future__ import annotations

import sys


class Watcher:
    def __init__(self, spec: dict):
        self.out = spec["out"]
        self.stop_on = spec.get("stop_on")
        self.seen: set[tuple[str, str]] = set()
        self.program = spec.get("script") or f"-m {spec.get('module')}"

    def __call__(self, measures) -> None:
        from ganlint.core.types import Severity
        from ganlint.probe.trace.result import build_report

        tracer = measures.t
        rep = build_report(tracer, program={"file": None, "display": self.program}, steps=None,
                           stopped="running", fake_data=None)
        for f in rep.findings:
            key = (f.code, str(f.evidence.get("network", "")) if isinstance(f.evidence, dict) else "")
            if key not in self.seen and int(f.severity) >= int(Severity.WARNING):
                self.seen.add(key)
                sys.stderr.write(f"ganlint probe: step {measures.step}: {f.location}: {f.code} [{f.slug}] {f.message}\n")
                sys.stderr.flush()
        rep.write(self.out, html=False)
        if self.stop_on == "error" and any(int(f.severity) >= int(Severity.ERROR) for f in rep.findings):
            tracer.control.stop_reason = "stop-on-error"
