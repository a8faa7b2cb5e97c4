"""SARIF 2.1.0 for GitHub code scanning (upload with github/codeql-action/upload-sarif).

tool.driver.rules: every rule of the catalog (id, name = slug, shortDescription, fullDescription,
help text + markdown, defaultConfiguration.level, properties.tags); results: ruleId, ruleIndex, level,
message, locations (artifactLocation.uri relative to the repository root, uriBaseId %SRCROOT%; region),
relatedLocations. Unreadable inputs become toolExecutionNotifications of the invocation.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ganlint.report import relative_root, relpath, rule_docs
from ganlint.report.rules_doc import clean_example

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _help_markdown(d: dict) -> str:
    parts = [f"**{d['code']} {d['slug']}** ({d['severity']}): {d['summary']}"]
    if d.get("why"):
        parts.append(f"### Why is this bad?\n{d['why']}")
    for label, key in (("Example", "example_bad"), ("Use instead", "example_good")):
        for files in d.get(key) or []:
            for name, text in files.items():
                lang = "yaml" if name.endswith((".yaml", ".yml")) else Path(name).suffix.lstrip(".") or "text"
                lang = {"py": "python"}.get(lang, lang)
                parts.append(f"### {label} ({name})\n```{lang}\n{clean_example(text).rstrip()}\n```")
    if d.get("use_instead"):
        parts.append(f"### What to do\n{d['use_instead']}")
    if d.get("options"):
        rows = "\n".join(
            f"- `{k}` = `{v!r}`: {d.get('option_docs', {}).get(k, '')}" for k, v in d["options"].items()
        )
        parts.append(f"### Options (`[tool.ganlint.rules.{d['code']}]`)\n{rows}")
    if d.get("source"):
        parts.append(f"Source: {d['source']}")
    return "\n\n".join(parts)


def _help_text(d: dict) -> str:
    text = f"{d['summary']}\n\nWhy: {d.get('why', '')}\n\nUse instead: {d.get('use_instead', '')}"
    return text + (f"\n\nSource: {d['source']}" if d.get("source") else "")


def _descriptor(d: dict) -> dict:
    tags = ["training-health"]
    tags += list(d.get("families") or [])
    tags.append("runtime" if d.get("runtime") else "static")
    return {
        "id": d["code"],
        "name": d["slug"],
        "shortDescription": {"text": d["summary"]},
        "fullDescription": {"text": (d.get("why") or d["summary"]).strip()},
        "help": {"text": _help_text(d), "markdown": _help_markdown(d)},
        "defaultConfiguration": {"level": LEVEL.get(d["severity"], "warning")},
        "properties": {"tags": tags, "precision": "high", "problem.severity": d["severity"]},
    }


def _physical(loc, base: str) -> dict:
    rel = relpath(loc.file, base)
    if rel is not None:
        artifact = {"uri": rel, "uriBaseId": "%SRCROOT%"}
    else:
        artifact = {"uri": Path(os.path.abspath(loc.file)).as_uri()}
    region = {"startLine": max(1, loc.line), "startColumn": max(1, loc.column)}
    if loc.end_line is not None and loc.end_line >= loc.line:
        region["endLine"] = loc.end_line
        if loc.end_column is not None and (loc.end_line > loc.line or loc.end_column > loc.column):
            region["endColumn"] = loc.end_column
    return {"artifactLocation": artifact, "region": region}


def render_sarif(findings, errors, *, root=None, rules=None) -> str:
    from ganlint import __version__

    base = relative_root(root)
    docs = rule_docs(rules)
    for f in findings:  # codes not in the given rule list (custom rules) still get a descriptor
        docs.setdefault(f.code, {"code": f.code, "slug": f.slug, "severity": str(f.severity),
                                 "summary": f.slug.replace("-", " "), "why": "", "use_instead": "", "source": ""})
    codes = sorted(docs)
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for f in findings:
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVEL.get(str(f.severity), "warning"),
            "message": {"text": f"{f.slug}: {f.message}"},
            "locations": [{"physicalLocation": _physical(f.location, base)}],
        }
        if f.related:
            result["relatedLocations"] = [
                {"id": i, "physicalLocation": _physical(r, base), "message": {"text": "related location"}}
                for i, r in enumerate(f.related, 1)
            ]
        props = {}
        if f.fix is not None:
            props["fix"] = f.fix.message
        if f.family:
            props["family"] = f.family
        if props:
            result["properties"] = props
        results.append(result)
    notes = []
    for e in errors:
        note = {"level": "error", "message": {"text": getattr(e, "message", None) or str(e)}}
        if getattr(e, "file", None):
            phys = {"artifactLocation": {"uri": relpath(e.file, base) or Path(os.path.abspath(e.file)).as_uri()}}
            if relpath(e.file, base) is not None:
                phys["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
            if getattr(e, "line", None):
                phys["region"] = {"startLine": e.line}
            note["locations"] = [{"physicalLocation": phys}]
        notes.append(note)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ganlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_descriptor(docs[c]) for c in codes],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(base).as_uri() + "/"}},
                "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": notes}],
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
