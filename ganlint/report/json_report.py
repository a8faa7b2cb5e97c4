"""JSON report, version 1 (schema: docs/json-schema.md)."""
from __future__ import annotations

import json

from ganlint.report import summary

SCHEMA_VERSION = 1


def error_dict(err) -> dict:
    return {"file": getattr(err, "file", None), "line": getattr(err, "line", None),
            "message": getattr(err, "message", None) or str(err)}


def finite(value):
    """JSON has no NaN/Infinity: non-finite floats (a probe's evidence) become the strings "nan", "inf", "-inf"."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def render_json(findings, errors, *, files=None) -> str:
    from ganlint import __version__

    doc = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "ganlint", "version": __version__},
        "findings": [f.to_dict() for f in findings],
        "errors": [error_dict(e) for e in errors],
        "summary": summary(findings, errors, files),
    }
    return json.dumps(finite(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
