"""Text report: `path:line:col: CODE [slug] message`, related locations indented below,
optional proposed fixes (--show-fixes) or per-code counts (--statistics), then one summary line."""
from __future__ import annotations

from ganlint.core.display import shown
from ganlint.report import summary


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 or word == 'info' else 's'}"


def _fix_lines(finding) -> list[str]:
    fix = finding.fix
    if fix is None:
        return ["    fix: none proposed"]
    tag = "" if fix.safe else " (unsafe)"
    lines = [f"    fix{tag}: {shown(fix.message)}"]
    for e in fix.edits:
        where = f" ({e.location})" if e.location else f" ({shown(e.file)})"
        if e.kind in ("set-setting", "add-setting"):
            lines.append(f"      {e.kind} {shown(e.target)}: {e.old!r} -> {e.new!r}{where}")
        elif e.kind == "rename-setting":
            lines.append(f"      rename {shown(e.target)} -> {shown(e.new)}{where}")
        elif e.kind == "remove-setting":
            lines.append(f"      remove {shown(e.target)}{where}")
        else:
            new = str(e.new) if e.new is not None else ""
            new = new if len(new) <= 80 else new[:77] + "..."
            lines.append(f"      {e.kind}{where}: {new!r}")
    return lines


def render_text(findings, errors, *, files=None, show_fixes=False, statistics=False) -> str:
    out: list[str] = []
    if statistics:
        counts: dict[tuple[str, str, str], int] = {}
        for f in findings:
            key = (f.code, f.slug, str(f.severity))
            counts[key] = counts.get(key, 0) + 1
        width = max((len(str(n)) for n in counts.values()), default=1)
        for (code, slug, sev), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{n:>{width}}  {code}  [{slug}]  {sev}")
    else:
        for f in findings:
            out.append(f"{f.location}: {f.code} [{f.slug}] {shown(f.message)}")  # a message may quote a key
            for r in f.related:
                out.append(f"    {r}: related location")
            if show_fixes:
                out.extend(_fix_lines(f))
    s = summary(findings, errors, files)
    where = f" in {_plural(files, 'file')}" if files is not None else ""
    if findings:
        sev = s["by_severity"]
        parts = [_plural(sev[k], k) for k in ("error", "warning", "info") if sev.get(k)]
        line = f"Found {_plural(len(findings), 'problem')} ({', '.join(parts)}){where}."
    else:
        line = f"All checks passed{where}." if not errors else f"No problems found{where}."
    if errors:
        line += f" {_plural(len(errors), 'input')} could not be checked (see the errors above)."
    out.append(line)
    return "\n".join(out) + "\n"
