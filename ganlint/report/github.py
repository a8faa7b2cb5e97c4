"""GitHub Actions workflow commands: `::error file=...,line=...,col=...,endLine=...,title=CODE slug::msg`.

error -> ::error, warning -> ::warning, info -> ::notice. Paths are relative to the repository root.
"""
from __future__ import annotations

from ganlint.core.display import shown
from ganlint.report import relative_root, relpath

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    """GitHub's escaping of a workflow command's message (%, CR, LF), then every other control character
    (ESC of a colour or cursor sequence, tab, NUL, U+2028) made visible as Python writes it (`\x1b`): the
    runner prints the line into the log raw, where ESC [2J would clear it."""
    return shown(str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings, errors, *, root=None) -> str:
    base = relative_root(root)
    out: list[str] = []
    for f in findings:
        loc = f.location
        path = relpath(loc.file, base) or loc.file
        props = [f"file={_prop(path)}", f"line={loc.line}", f"col={loc.column}"]
        props.append(f"endLine={loc.end_line if loc.end_line is not None else loc.line}")
        if loc.end_column is not None and (loc.end_line in (None, loc.line)):
            props.append(f"endColumn={loc.end_column}")
        props.append(f"title={_prop(f'{f.code} {f.slug}')}")
        out.append(f"::{LEVEL.get(str(f.severity), 'warning')} {','.join(props)}::{_data(f.message)}")
    for e in errors:
        props = []
        if getattr(e, "file", None):
            props.append(f"file={_prop(relpath(e.file, base) or e.file)}")
            if getattr(e, "line", None):
                props.append(f"line={e.line}")
        props.append("title=ganlint")
        out.append(f"::error {','.join(props)}::{_data(getattr(e, 'message', None) or str(e))}")
    return "\n".join(out) + ("\n" if out else "")
