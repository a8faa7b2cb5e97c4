"""JSON report, version 1 (schema: docs/json-schema.md)."""
from __future__ import annotations

import json

from ganlint.report import summary

SCHEMA_VERSION = 1


def error_dict(err) -> dict:
    return {"file": getattr(err, "file", None), "line": getattr(err, "line", None),
            "message": getattr(err, "message", None) or str(err)}


def render_json(findings, errors, *, files=None) -> str:
    from ganlint import __version__

    doc = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "ganlint", "version": __version__},
        "findings": [f.to_dict() for f in findings],
        "errors": [error_dict(e) for e in errors],
        "summary": summary(findings, errors, files),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
