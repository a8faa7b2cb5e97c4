"""`ganlint rules` (the catalog) and `ganlint rule CODE` (one rule's documentation)."""
from __future__ import annotations

import sys

import typer

from ganlint.cli import app

RULES_FORMATS = ("text", "json", "markdown")


def _catalog_docs(include_meta: bool = True) -> list[dict]:
    from ganlint.checking import registry
    from ganlint.checking.suppress import META_DOCS

    docs = [r.docs() for r in registry.all_rules()]
    if include_meta:
        docs += list(META_DOCS.values())
    return docs


@app.command("rules")
def list_rules(
    fmt: str = typer.Option("text", "--format", help="text, json or markdown (the README's table)."),
) -> None:
    """List every rule: code, slug, severity, static or runtime, summary."""
    from ganlint.report import rules_doc

    fmt = fmt.lower()
    if fmt not in RULES_FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(RULES_FORMATS)}", param_hint="'--format'")
    if fmt == "markdown":
        sys.stdout.write(rules_doc.rules_markdown(_catalog_docs(include_meta=False)))
    elif fmt == "json":
        sys.stdout.write(rules_doc.rules_json(_catalog_docs()))
    else:
        sys.stdout.write(rules_doc.rules_text(_catalog_docs()))


@app.command("rule")
def show_rule(
    code: str = typer.Argument(..., help="A rule code (GLnnn) or slug (hidden-sigmoid)."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Print one rule's documentation: summary, why, example, fix, options, source."""
    from ganlint.report import rules_doc

    fmt = fmt.lower()
    if fmt not in ("text", "json", "markdown"):
        raise typer.BadParameter(f"{fmt!r} is not one of text, json", param_hint="'--format'")
    wanted = code.strip()
    found = None
    for d in _catalog_docs():
        if d["code"] == wanted.upper() or d["slug"] == wanted.lower():
            found = d
            break
    if found is None:
        sys.stderr.write(f"error: unknown rule {code!r} (see `ganlint rules`)\n")
        raise typer.Exit(2)
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False, default=repr) + "\n")
    else:
        sys.stdout.write(rules_doc.rule_text(found))
