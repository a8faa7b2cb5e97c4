#!/usr/bin/env python3
"""Regenerate the README's rule table from the rules themselves (the registry), between the markers
`<!-- rules-table:start -->` and `<!-- rules-table:end -->`. Nothing else in README.md is touched.

    python scripts/update_readme_table.py           # rewrite the table in place
    python scripts/update_readme_table.py --check   # exit 1 (with a diff) when the table is stale
"""
from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def table() -> str:
    from ganlint.checking.registry import all_rules
    from ganlint.report.rules_doc import rules_markdown

    return rules_markdown([r.docs() for r in all_rules()])


def updated(text: str, new_table: str) -> str:
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise SystemExit(f"{README.name}: expected one {START} before one {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the table is stale")
    parser.add_argument("--readme", default=str(README))
    args = parser.parse_args(argv)
    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    new = updated(text, table())
    if new == text:
        print(f"{path.name}: rule table is up to date")
        return 0
    if args.check:
        diff = difflib.unified_diff(text.splitlines(), new.splitlines(), "README.md", "README.md (generated)",
                                    lineterm="", n=0)
        print("\n".join(list(diff)[:80]))
        print(f"{path.name}: rule table is stale; run: python scripts/update_readme_table.py", file=sys.stderr)
        return 1
    path.write_text(new, encoding="utf-8")
    print(f"{path.name}: rule table updated")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
