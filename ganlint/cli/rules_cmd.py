"""`ganlint rules` and `ganlint rule CODE` (minimal first cut)."""
from __future__ import annotations

import typer

from ganlint.cli import app


@app.command("rules")
def list_rules() -> None:
    """List every rule."""
    from ganlint.checking.registry import all_rules

    for r in all_rules():
        print(f"{r.code}  {r.slug:40s} {r.severity!s:8s} {r.summary}")


@app.command("rule")
def show_rule(code: str) -> None:
    """Print one rule's documentation."""
    from ganlint.checking.registry import rule_by_code

    rule = rule_by_code(code)
    if rule is None:
        print(f"error: unknown rule {code!r}")
        raise typer.Exit(2)
    d = rule.docs()
    print(f"{d['code']} ({d['slug']}) [{d['severity']}]\n\n{d['summary']}\n\n## Why is this bad?\n{d['why']}\n\n## Use instead\n{d['use_instead']}\n\nSource: {d['source']}")
