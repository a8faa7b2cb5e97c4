"""Reports: findings (and unreadable-input errors) -> text | json | sarif | github.

One entry point, shared by `check` and `probe`:

    from ganlint.report import render
    text = render(findings, errors=(), fmt="text", *, files=None, show_fixes=False, statistics=False,
                  root=None, rules=None)

- findings: list[ganlint.core.types.Finding]
- errors:   list of ganlint.core.errors.GanlintError (unreadable files, ...); they appear in json/sarif.
            (`check` also prints each as one line on stderr; the text format leaves them to the caller.)
- fmt:      "text" | "json" | "sarif" | "github"   (FORMATS)
- files:    number (or list) of files read, for the summary line
- root:     folder paths are made relative to in sarif/github (default: the git top-level, else cwd)
- rules:    rule objects (with .docs()) or docs dicts describing the codes, for sarif's rule table and
            `--show-fixes`; default: the catalog plus unused-suppression
Returns the whole report as a str ending in a newline (empty string when there is nothing to print).
Each formatter lives in its own module, imported only when used.
"""
from __future__ import annotations

from typing import Any, Iterable

FORMATS = ("text", "json", "sarif", "github")


def render(
    findings: list,
    errors: Iterable = (),
    fmt: str = "text",
    *,
    files: int | list | None = None,
    show_fixes: bool = False,
    statistics: bool = False,
    root: str | None = None,
    rules: Iterable[Any] | None = None,
) -> str:
    errors = list(errors)
    nfiles = len(files) if isinstance(files, (list, tuple, set)) else files
    if fmt == "text":
        from ganlint.report.text import render_text

        return render_text(findings, errors, files=nfiles, show_fixes=show_fixes, statistics=statistics)
    if fmt == "json":
        from ganlint.report.json_report import render_json

        return render_json(findings, errors, files=nfiles)
    if fmt == "sarif":
        from ganlint.report.sarif import render_sarif

        return render_sarif(findings, errors, root=root, rules=rules)
    if fmt == "github":
        from ganlint.report.github import render_github

        return render_github(findings, errors, root=root)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def rule_docs(rules: Iterable[Any] | None = None) -> dict[str, dict[str, Any]]:
    """code -> docs dict, for the given rules or the whole catalog plus the runner's meta codes."""
    from ganlint.checking.suppress import META_DOCS

    out: dict[str, dict[str, Any]] = {}
    if rules is None:
        from ganlint.checking import registry

        rules = registry.all_rules()
    for r in rules:
        d = r if isinstance(r, dict) else r.docs()
        out[d["code"]] = d
    for code, d in META_DOCS.items():
        out.setdefault(code, d)
    return out


def relative_root(root: str | None = None) -> str:
    """The folder report paths are relative to: `root`, else the git top-level above cwd, else cwd."""
    import os

    if root:
        return os.path.abspath(root)
    path = os.getcwd()
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return os.getcwd()
        path = parent


def relpath(file: str, root: str) -> str | None:
    """`file` relative to `root` in posix form, or None when it lies outside root."""
    import os

    apath = os.path.abspath(file)
    rel = os.path.relpath(apath, root)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return rel.replace(os.sep, "/")


def summary(findings: list, errors: list, files: int | None) -> dict[str, Any]:
    by_sev = {"error": 0, "warning": 0, "info": 0}
    by_code: dict[str, int] = {}
    for f in findings:
        by_sev[str(f.severity)] = by_sev.get(str(f.severity), 0) + 1
        by_code[f.code] = by_code.get(f.code, 0) + 1
    return {
        "files": files,
        "findings": len(findings),
        "errors": len(errors),
        "by_severity": by_sev,
        "by_code": dict(sorted(by_code.items())),
    }
