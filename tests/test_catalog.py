"""The catalog covers RULES.md: codes and slugs are a public contract."""
from __future__ import annotations

import re
from pathlib import Path

from ganlint.checking.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]
RULES_MD = ROOT.parent / "shared" / "RULES.md"


def _contract() -> dict[str, str]:
    text = RULES_MD.read_text(encoding="utf-8")
    return dict(re.findall(r"^\| (GL\d{3}) \| ([a-z0-9-]+) \|", text, flags=re.M))


def test_every_rule_of_rules_md_exists_with_its_slug():
    contract = _contract()
    assert len(contract) >= 40, "RULES.md could not be read"
    have = {r.code: r.slug for r in all_rules()}
    missing = sorted(set(contract) - set(have))
    assert not missing, f"rules missing from rules/: {missing}"
    wrong = {c: (have[c], s) for c, s in contract.items() if have[c] != s}
    assert not wrong, f"slugs differ from RULES.md: {wrong}"


def test_one_rule_per_file_named_after_code_and_slug():
    for path in sorted((ROOT / "rules").glob("gl*.py")):
        m = re.fullmatch(r"gl(\d{3})_([a-z0-9_]+)\.py", path.name)
        assert m, path.name
        rule = next(r for r in all_rules() if r.code == f"GL{m.group(1)}")
        assert rule.slug.replace("-", "_") == m.group(2), path.name


def test_runtime_band_matches_flag():
    for rule in all_rules():
        assert rule.runtime == rule.code.startswith("GL5"), rule.code
