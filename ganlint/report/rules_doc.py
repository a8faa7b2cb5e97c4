"""Rule documentation from the rules themselves: `ganlint rule CODE`, `ganlint rules`, the README table."""
from __future__ import annotations

import json
import re
from typing import Any, Iterable


_EXPECT = re.compile(r"[ \t]*#[ \t]*expect\b.*$", re.M)


def clean_example(text: str) -> str:
    """An example as users should read it: without the test suite's `# expect` markers."""
    return _EXPECT.sub("", text)


def _lang(name: str) -> str:
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    return {"py": "python", "yml": "yaml"}.get(ext, ext)


def rule_text(d: dict[str, Any]) -> str:
    """One rule as markdown-flavoured text (what `ganlint rule CODE` prints)."""
    kind = "runtime (ganlint probe)" if d.get("runtime") else "static (ganlint check)"
    if d.get("meta"):
        kind = "meta (reported by the runner)"
    out = [f"# {d['code']} {d['slug']} ({d['severity']}, {kind})", "", d["summary"].strip(), ""]
    if d.get("families"):
        out += [f"Families: {', '.join(d['families'])}", ""]
    out += ["## Why is this bad?", (d.get("why") or "").strip(), ""]
    for title, key in (("## Example", "example_bad"), ("## Fixed example", "example_fixed")):
        for files in d.get(key) or []:
            out.append(title)
            for name, text in files.items():
                out += [f"`{name}`:", f"```{_lang(name)}", clean_example(text).rstrip("\n"), "```"]
            out.append("")
    out += ["## Use instead", (d.get("use_instead") or "").strip(), ""]
    if d.get("options"):
        out.append(f"## Options (`[tool.ganlint.rules.{d['code']}]` in pyproject.toml)")
        for name, default in d["options"].items():
            doc = (d.get("option_docs") or {}).get(name, "")
            out.append(f"- `{name}` (default `{_toml(default)}`){': ' + doc if doc else ''}")
        out.append("")
    else:
        out += ["## Options", "none", ""]
    if d.get("fix_safety"):
        out += ["## Fix safety", d["fix_safety"], ""]
    if d.get("fix_stage") is not None:
        out += [f"Fix stage: {d['fix_stage']}", ""]
    out.append(f"Source: {d.get('source', '')}")
    return "\n".join(out).rstrip() + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def rules_text(docs: Iterable[dict[str, Any]]) -> str:
    lines = []
    for d in docs:
        tag = "probe" if d.get("runtime") else ("meta" if d.get("meta") else "check")
        lines.append(f"{d['code']}  {d['slug']:<38} {d['severity']:<8} {tag:<6} {d['summary']}")
    return "\n".join(lines) + ("\n" if lines else "")


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def rules_markdown(docs: Iterable[dict[str, Any]]) -> str:
    """The README's rule table (scripts/update_readme_table.py writes it between the markers)."""
    rows = [
        "| code | name | severity | by | what it finds | options | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for d in docs:
        opts = ", ".join(f"`{k}={_toml(v)}`" for k, v in (d.get("options") or {}).items()) or ""
        by = "probe" if d.get("runtime") else "check"
        rows.append(
            f"| {d['code']} | `{d['slug']}` | {d['severity']} | {by} | {_cell(d['summary'])} | {_cell(opts)} "
            f"| {_cell(d.get('source', ''))} |"
        )
    return "\n".join(rows) + "\n"


def rules_json(docs: Iterable[dict[str, Any]]) -> str:
    return json.dumps({"version": 1, "rules": list(docs)}, indent=2, ensure_ascii=False, default=repr) + "\n"
