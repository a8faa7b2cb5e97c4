"""Inline suppressions and the unused-suppression meta finding (UNUSED_CODE).

Recognised on the finding's line (its first or last line), in comments only:

    x = nn.Sigmoid()   # ganlint: ignore[CODE]
    x = nn.Sigmoid()   # ganlint: ignore[CODE,CODE]        (also slugs: ignore[hidden-sigmoid])
    x = nn.Sigmoid()   # ganlint: ignore                  (every code on this line)
    x = nn.Sigmoid()   # noqa: CODE                       (flake8/ruff style; non-GL codes are left alone)
    lr: 0.001          # ganlint: ignore[CODE]             (YAML and TOML)

and anywhere in a file, on a line of its own:

    # ganlint: ignore-file                 (the whole file)
    # ganlint: ignore-file[CODE]           (those codes in the whole file)

A bare `# noqa` also silences ganlint on that line (as in flake8 and ruff) but is never reported as unused:
it usually belongs to another linter. JSON has no comments: use per-file-ignores.

With --report-unused-suppressions the runner reports each `ganlint:` suppression (and each GL code of a
`noqa`) that silenced nothing as unused-suppression, a meta finding that belongs to the runner, not the catalog.
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from ganlint.core.types import Edit, Finding, Fix, Location, Severity

UNUSED_CODE = "GL900"
UNUSED_SLUG = "unused-suppression"

# Docs for the meta rule, in the shape of Rule.docs(), for `ganlint rule unused-suppression`, SARIF and the listing.
META_DOCS = {
    UNUSED_CODE: {
        "code": UNUSED_CODE,
        "slug": UNUSED_SLUG,
        "severity": "warning",
        "summary": "a `# ganlint: ignore[...]` or `# noqa: GL...` comment that suppresses nothing",
        "why": "A suppression that no longer matches a finding hides nothing today but will silently hide a "
        "real problem tomorrow, and it tells readers a problem exists where there is none. Reported only "
        "with `--report-unused-suppressions` (or `report-unused-suppressions = true`).",
        "use_instead": "Delete the comment, or the code in it that no longer fires.",
        "source": "ganlint (the runner, not the rule catalog)",
        "families": [],
        "options": {},
        "option_docs": {},
        "fix_stage": None,
        "runtime": False,
        "example_bad": [{"model.py": "act = nn.LeakyReLU(0.2)  # ganlint: ignore[hidden-sigmoid]\n"}],
        "example_good": [{"model.py": "act = nn.LeakyReLU(0.2)\n"}],
        "meta": True,
    }
}

_DIRECTIVE = re.compile(
    r"#\s*(?:ganlint\s*:\s*(?P<kind>ignore-file|ignore)\b(?:\s*\[(?P<codes>[^\]]*)\])?"
    r"|noqa\b(?:\s*:\s*(?P<noqa>[A-Za-z0-9_, \t-]+))?)",
    re.I,
)
_HINT = re.compile(r"ganlint\s*:|noqa", re.I)


@dataclass
class Directive:
    file: str
    line: int
    column: int  # 1-based column of the '#'
    end_column: int  # 1-based, exclusive
    kind: str  # "line" | "file"
    codes: list[str] | None  # None = every code
    source: str  # "ganlint" | "noqa"
    used: set[str] = field(default_factory=set)  # codes (or "*") that silenced something


def _comments(path: str, text: str):
    """(line, col0, comment text) of every comment. Python: tokenize (no false hits in strings)."""
    if path.endswith(".py"):
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT:
                    yield tok.start[0], tok.start[1], tok.string
            return
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass  # fall through to the line scan
    for i, line in enumerate(text.splitlines(), 1):
        pos = line.find("#")
        while pos != -1:
            m = _DIRECTIVE.match(line, pos)
            if m:
                yield i, pos, line[pos:]
                break
            pos = line.find("#", pos + 1)


def parse_directives(path: str, text: str) -> list[Directive]:
    if not _HINT.search(text) or path.lower().endswith(".json"):
        return []
    out: list[Directive] = []
    for line, col0, comment in _comments(path, text):
        for m in _DIRECTIVE.finditer(comment):
            if m.group("kind"):
                kind = "file" if m.group("kind").lower() == "ignore-file" else "line"
                raw = m.group("codes")
                codes = None if raw is None else [c.strip() for c in raw.split(",") if c.strip()]
                source = "ganlint"
            else:
                kind = "line"
                raw = m.group("noqa")
                if raw is None:
                    codes, source = None, "noqa"
                else:
                    codes = [c.strip() for c in raw.split(",") if c.strip().upper().startswith("GL")]
                    if not codes:
                        continue  # `# noqa: E501`: another linter's business
                    source = "noqa"
            out.append(Directive(path, line, col0 + m.start() + 1, col0 + m.end() + 1, kind, codes, source))
    return out


def _matches(finding: Finding, code: str) -> bool:
    c = code.strip()
    return finding.code == c.upper() or finding.slug == c.lower()


def apply_suppressions(
    findings: list[Finding],
    texts: dict[str, str],
    *,
    report_unused: bool = False,
    enabled: set[str] | None = None,
    known: set[str] | None = None,
) -> list[Finding]:
    """Findings left after inline suppressions; plus unused-suppression findings when report_unused is on.

    `enabled`: lower-cased codes and slugs of the rules that ran (a suppression of a rule that did not run
    is not "unused"); `known`: those of every rule (a code naming no rule is always reported).
    """
    by_file: dict[str, list[Directive]] = {}
    # Without unused-suppression reporting only files with findings need their comments parsed.
    wanted = texts if report_unused else {f.location.file for f in findings}
    for path in wanted:
        text = texts.get(path)
        if text is None:
            continue
        ds = parse_directives(path, text)
        if ds:
            by_file[path] = ds
    if not by_file:
        return findings
    kept: list[Finding] = []
    for f in findings:
        ds = by_file.get(f.location.file)
        suppressed = False
        if ds:
            lines = {f.location.line, f.location.end_line or f.location.line}
            for d in ds:
                if d.kind == "line" and d.line not in lines:
                    continue
                if d.codes is None:
                    d.used.add("*")
                    suppressed = True
                else:
                    for c in d.codes:
                        if _matches(f, c):
                            d.used.add(c)
                            suppressed = True
        if not suppressed:
            kept.append(f)
    if report_unused:
        kept.extend(unused_findings(by_file, enabled, known))
    return kept


def unused_findings(
    by_file: dict[str, list[Directive]], enabled: set[str] | None, known: set[str] | None = None
) -> list[Finding]:
    """Unused-suppression findings. `enabled`/`known`: lower-cased codes and slugs of the rules that ran / that exist."""
    out: list[Finding] = []
    for path, ds in by_file.items():
        for d in ds:
            if d.codes is None:
                if d.used or d.source == "noqa":
                    continue
                unused = ["(all)"]
            else:
                unused = []
                for c in d.codes:
                    if c in d.used:
                        continue
                    key = c.lower()
                    if enabled is None or key in enabled or (known is not None and key not in known):
                        unused.append(c)  # its rule ran and found nothing here, or it names no rule at all
                if not unused:
                    continue
            whole = d.codes is None or len(unused) == len(d.codes)
            what = "suppression" if d.codes is None else f"suppression of {', '.join(unused)}"
            loc = Location(path, d.line, d.column, d.line, d.end_column)
            fix = None
            if whole:
                fix = Fix("remove the comment", [Edit("replace-code", path, old=None, new="", location=loc)])
            out.append(
                Finding(
                    code=UNUSED_CODE,
                    slug=UNUSED_SLUG,
                    severity=Severity.WARNING,
                    message=f"unused {what}: nothing {'in this file' if d.kind == 'file' else 'on this line'} "
                    "was reported for it",
                    location=loc,
                    fix=fix,
                    evidence={"codes": d.codes, "unused": unused, "kind": d.kind},
                )
            )
    return out
