"""Finds every rule in the catalog (rules/, installed as ganlint.rules): no hand-kept list to drift."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from ganlint.checking.rule import Rule


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    import ganlint.rules as package

    found: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("gl"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, Rule):
            raise RuntimeError(f"rules/{info.name}.py does not define RULE = <Rule instance>")
        if rule.code in found:
            raise RuntimeError(f"duplicate rule code {rule.code} in rules/{info.name}.py")
        found[rule.code] = rule
    return tuple(sorted(found.values(), key=lambda r: r.code))


def rule_by_code(code: str) -> Rule | None:
    code = code.upper()
    for rule in all_rules():
        if rule.code == code or rule.slug == code.lower():
            return rule
    return None


def known_selectors(extra: tuple[Rule, ...] | list[Rule] = ()) -> list[tuple[str, str]]:
    """(code, slug) of every rule a selection may name: the catalog, `extra` (a project's custom rules) and
    the runner's unused-suppression meta finding."""
    from ganlint.checking.suppress import UNUSED_CODE, UNUSED_SLUG

    return [(r.code, r.slug) for r in [*all_rules(), *extra]] + [(UNUSED_CODE, UNUSED_SLUG)]


def select_rules(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """--select / --ignore by code or code prefix, "ALL", or by slug."""

    def matches(rule: Rule, pattern: str) -> bool:
        p = pattern.strip()
        return p.upper() == "ALL" or rule.code.startswith(p.upper()) or rule.slug == p.lower()

    chosen = [r for r in all_rules() if any(matches(r, p) for p in (select or ["ALL"]))]
    return [r for r in chosen if not any(matches(r, p) for p in (ignore or []))]
