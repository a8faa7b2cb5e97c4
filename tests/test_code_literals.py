"""Each rule's behaviour lives in its rule file: outside rules/, a GL code is written only where the registry and
the option plumbing need one (the unused-suppression meta code, the custom-rule range and their docs)."""
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ganlint"
PLUMBING = {"checking/suppress.py", "checking/options.py", "checking/declarative.py", "checking/registry.py"}


def test_gl_code_literals_outside_rules_only_in_registry_and_option_plumbing():
    found = {str(p.relative_to(PACKAGE)): len(re.findall(r"GL[0-9]{3}", p.read_text(encoding="utf-8")))
             for p in PACKAGE.rglob("*.py")}
    found = {k: n for k, n in found.items() if n}
    assert set(found) <= PLUMBING, sorted(set(found) - PLUMBING)
    assert sum(found.values()) <= 10, found
