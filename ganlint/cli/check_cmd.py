"""`ganlint check PATH...` (minimal first cut; options, formats and config come next)."""
from __future__ import annotations

import sys
from typing import List

import typer

from ganlint.cli import app


@app.command()
def check(paths: List[str] = typer.Argument(..., help="Python files, configs (YAML/JSON/TOML) or directories")) -> None:
    """Read model code and configs (never run them) and report training-health problems."""
    from ganlint.checking.runner import check_paths

    result = check_paths(paths)
    for err in result.errors:
        print(f"error: {err}", file=sys.stderr)
    for f in result.findings:
        print(f"{f.location}: {f.code} [{f.slug}] {f.message}")
    print(f"Found {len(result.findings)} problem(s) in {len(result.files)} file(s).")
    raise typer.Exit(2 if result.errors else (1 if result.findings else 0))
