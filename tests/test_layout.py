"""The layout the developers' guide promises: modules of the product (ganlint/ and rules/) stay under 400 lines,
so a reader sees one concern per file. A module that grows past it is split, not excused."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 400


def test_every_product_module_is_under_400_lines():
    long = {}
    for folder in ("ganlint", "rules"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > LIMIT:
                long[str(path.relative_to(ROOT))] = n
    assert not long, f"modules over {LIMIT} lines (split them): {long}"
