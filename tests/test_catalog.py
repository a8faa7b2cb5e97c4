"""The catalog keeps docs/catalog.md's promise: codes and names (slugs) are a public contract, kept by hand
in the project (a fresh clone has nothing beside it to read)."""
from __future__ import annotations

import re
from pathlib import Path

from ganlint.checking.registry import all_rules
from ganlint.checking.suppress import UNUSED_CODE

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "docs" / "catalog.md"
ROW = re.compile(r"^\| (GL\d{3}) \| ([a-z0-9-]+) \| (check|probe) \|", flags=re.M)


def _contract() -> dict[str, tuple[str, str]]:
    rows = ROW.findall(CATALOG.read_text(encoding="utf-8"))
    codes = [c for c, _, _ in rows]
    assert len(codes) == len(set(codes)), "a code is listed twice in docs/catalog.md"
    return {c: (slug, by) for c, slug, by in rows}


def test_every_promised_rule_exists_with_its_name_and_kind():
    contract = _contract()
    contract.pop(UNUSED_CODE)  # the runner's meta finding, not a catalog rule
    assert len(contract) >= 40, "docs/catalog.md could not be read"
    have = {r.code: (r.slug, "probe" if r.runtime else "check") for r in all_rules()}
    missing = sorted(set(contract) - set(have))
    assert not missing, f"rules of docs/catalog.md missing from rules/: {missing}"
    wrong = {c: (have[c], promised) for c, promised in contract.items() if have[c] != promised}
    assert not wrong, f"name or kind differs from docs/catalog.md: {wrong}"


def test_every_rule_is_in_the_catalog():
    unlisted = sorted({r.code for r in all_rules()} - set(_contract()))
    assert not unlisted, f"add these rules to docs/catalog.md (a new public code): {unlisted}"


def test_the_meta_code_keeps_its_name():
    from ganlint.checking.suppress import META_DOCS

    assert _contract()[UNUSED_CODE] == (META_DOCS[UNUSED_CODE]["slug"], "check")


def test_one_rule_per_file_named_after_code_and_slug():
    for path in sorted((ROOT / "rules").glob("gl*.py")):
        m = re.fullmatch(r"gl(\d{3})_([a-z0-9_]+)\.py", path.name)
        assert m, path.name
        rule = next(r for r in all_rules() if r.code == f"GL{m.group(1)}")
        assert rule.slug.replace("-", "_") == m.group(2), path.name


def test_runtime_band_matches_flag():
    for rule in all_rules():
        assert rule.runtime == rule.code.startswith("GL5"), rule.code
