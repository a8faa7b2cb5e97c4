"""run_probe's engine (being implemented)."""
from __future__ import annotations

from ganlint.probe.errors import ProbeError


def run(paths, **kw):
    raise ProbeError("the probe engine is being implemented")
