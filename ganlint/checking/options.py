"""`[tool.ganlint]` in pyproject.toml -> Options (documented key by key in docs/configuration.md).

The file is found by walking up from the working directory to the first pyproject.toml that has a
`[tool.ganlint]` table (or given with `--config`). Every key is validated: an unknown key, rule code or
rule option, or a value of the wrong type, is a UsageError `pyproject.toml:LINE: ...` (exit 2).

    load_options(config=None, cwd=None) -> Options

Options.model / Options.config are read here for `ganlint probe` and `ganlint fix` discovery.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ganlint.checking.suppress import UNUSED_CODE, UNUSED_SLUG
from ganlint.core.errors import UsageError
from ganlint.core.types import Severity
from ganlint.checking.pyproject_lines import KeyLines, toml_loads

KNOWN_KEYS = {
    "select": "list of rule selectors",
    "ignore": "list of rule selectors",
    "extend-select": "list of rule selectors",
    "extend-ignore": "list of rule selectors",
    "per-file-ignores": "table: glob -> list of rule selectors",
    "exclude": "list of gitignore-style patterns",
    "extend-exclude": "list of gitignore-style patterns",
    "respect-gitignore": "boolean",
    "fail-on": '"error", "warning" or "info"',
    "report-unused-suppressions": "boolean",
    "rules": "table: rule code -> table of options",
    "custom-rules": "table: GL9xx code -> rule table",
    "model": "path to the model file (probe/fix)",
    "config": "path or list of paths of configuration files (probe/fix)",
}
SELECTOR = re.compile(r"^(ALL|GL\d{0,3}|[a-z0-9]+(-[a-z0-9]+)*)$", re.I)
META_CODES = (UNUSED_CODE,)


@dataclass
class Options:
    select: list[str] | None = None  # None = ALL
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    fail_on: Severity = Severity.INFO
    report_unused_suppressions: bool = False
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_rules: list[Any] = field(default_factory=list)  # Rule instances from [tool.ganlint.custom-rules]
    model: str | None = None  # absolute, resolved against root
    config: list[str] = field(default_factory=list)
    root: str = field(default_factory=os.getcwd)  # folder of the pyproject.toml (or cwd)
    source: str | None = None  # the pyproject.toml read, if any


def split_selectors(values: list[str] | str | None) -> list[str]:
    """`["GL1,GL001", "hidden-sigmoid"]` -> `["GL1", "GL001", "hidden-sigmoid"]` (repeatable and comma lists)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return out


def selector_matches(code: str, slug: str, pattern: str) -> bool:
    p = pattern.strip()
    return p.upper() == "ALL" or code.startswith(p.upper()) or slug == p.lower()


def validate_selectors(selectors: list[str], known: list[tuple[str, str]], where: str) -> None:
    """Raise UsageError for a selector that is malformed or names no rule."""
    for s in selectors:
        if not SELECTOR.match(s):
            raise UsageError(f"invalid rule selector {s!r} in {where}")
        if s.upper() == "ALL" or re.fullmatch(r"GL\d{0,2}", s, re.I):
            continue  # prefixes are fine even when no rule of that band exists yet
        if not any(selector_matches(c, g, s) for c, g in known):
            raise UsageError(f"unknown rule {s!r} in {where} (see `ganlint rules`)")


def invalid_patterns(patterns: list[str]) -> list[str]:
    """The gitignore-style patterns pathspec refuses (`!` alone, ...): they must be a usage error at their
    line, not an exception when the first directory is walked."""
    import pathspec

    bad = []
    for p in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([p])
        except Exception:  # noqa: BLE001 - pathspec raises GitIgnorePatternError (a ValueError) and others
            bad.append(p)
    return bad


def find_pyproject(cwd: str | None = None) -> str | None:
    """The nearest pyproject.toml, walking up from cwd, that has a [tool.ganlint] table."""
    path = os.path.abspath(cwd or os.getcwd())
    while True:
        candidate = os.path.join(path, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                with open(candidate, "rb") as fh:
                    if b"tool.ganlint" in fh.read():
                        return candidate
            except OSError:
                pass
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def load_options(config: str | None = None, cwd: str | None = None) -> Options:
    """Options from `config` (a pyproject.toml) or the nearest pyproject.toml with [tool.ganlint].

    No such file: defaults, with root = cwd.
    """
    path = config
    if path is None:
        path = find_pyproject(cwd)
        if path is not None:  # shown relative to the working directory when it lies below it
            rel = os.path.relpath(path, os.getcwd())
            path = path if rel.startswith(os.pardir) else rel
    elif not os.path.isfile(path):
        raise UsageError("configuration file not found", path)
    if path is None:
        return Options(root=os.path.abspath(cwd or os.getcwd()))
    from ganlint.reading.project import read_text

    text = read_text(path)
    from ganlint.reading.config.toml_reader import budget_problem

    over = budget_problem(text)  # a 20,000-part dotted key: refused before tomllib spends seconds on it
    if over is not None:
        raise UsageError(over[1], path, over[0])
    try:
        data = toml_loads(text)
    except Exception as exc:  # tomllib.TOMLDecodeError: "... (at line 3, column 7)"
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        line = int(m.group(1)) if m else max(1, len(text.splitlines()))
        raise UsageError(f"invalid TOML: {msg}", path, line) from None
    table = data.get("tool", {}).get("ganlint", {})
    return options_from_table(table, path, text)


def options_from_table(table: dict, path: str, text: str = "") -> Options:
    """Validate a [tool.ganlint] table (already parsed) into Options."""
    loc = KeyLines(text)
    opts = Options(root=os.path.dirname(os.path.abspath(path)), source=path)

    def fail(message: str, line: int | None) -> None:
        raise UsageError(message, path, line)

    if not isinstance(table, dict):
        fail("[tool.ganlint] must be a table", loc.header("tool.ganlint"))

    def str_list(key: str, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(f"tool.ganlint.{key} must be a list of strings", loc.key("tool.ganlint", key))
        return list(value)

    for key in table:
        if key not in KNOWN_KEYS:
            close = [k for k in KNOWN_KEYS if k.replace("-", "_") == key or k.replace("-", "") == key.replace("_", "")]
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(KNOWN_KEYS))})"
            fail(f"unknown key {key!r} in [tool.ganlint]{hint}", loc.key("tool.ganlint", key))

    from ganlint.checking import registry

    catalog = list(registry.all_rules())

    # custom rules first: their codes become valid selectors and option targets
    custom = table.get("custom-rules", {})
    if not isinstance(custom, dict):
        fail("tool.ganlint.custom-rules must be a table of GL9xx tables", loc.key("tool.ganlint", "custom-rules"))
    for code, rule_table in custom.items():
        line = loc.header(f"tool.ganlint.custom-rules.{code}") or loc.key("tool.ganlint.custom-rules", code)
        if not re.fullmatch(r"GL9\d\d", code) or code in META_CODES:
            fail(f"custom rule code {code!r} must be GL901..GL999", line)
        if any(r.code == code for r in catalog):
            fail(f"custom rule code {code} is already taken", line)
        if not isinstance(rule_table, dict):
            fail(f"[tool.ganlint.custom-rules.{code}] must be a table", line)
        try:
            from ganlint.checking.declarative import rule_from_table
        except ImportError:
            fail("custom rules are not available in this version of ganlint", line)
        try:
            rule = rule_from_table(code, rule_table)
        except UsageError as exc:
            fail(f"[tool.ganlint.custom-rules.{code}]: {exc.message}", exc.line or line)
        except (ValueError, TypeError, KeyError) as exc:
            fail(f"[tool.ganlint.custom-rules.{code}]: {exc}", line)
        opts.custom_rules.append(rule)

    known = [(r.code, r.slug) for r in catalog] + [(r.code, r.slug) for r in opts.custom_rules]
    known += [(UNUSED_CODE, UNUSED_SLUG)]

    for key, attr in (("select", "select"), ("ignore", "ignore"), ("extend-select", "extend_select")):
        if key in table:
            sel = split_selectors(str_list(key, table[key]))
            try:
                validate_selectors(sel, known, f"tool.ganlint.{key}")
            except UsageError as exc:
                fail(exc.message, loc.key("tool.ganlint", key))
            setattr(opts, attr, sel)
    if "extend-ignore" in table:
        sel = split_selectors(str_list("extend-ignore", table["extend-ignore"]))
        try:
            validate_selectors(sel, known, "tool.ganlint.extend-ignore")
        except UsageError as exc:
            fail(exc.message, loc.key("tool.ganlint", "extend-ignore"))
        opts.ignore = [*opts.ignore, *sel]

    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        fail("tool.ganlint.per-file-ignores must be a table: glob = [codes]", loc.key("tool.ganlint", "per-file-ignores"))
    for glob, codes in pfi.items():
        line = loc.key("tool.ganlint.per-file-ignores", glob)
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            fail(f"per-file-ignores[{glob!r}] must be a list of rule selectors", line)
        if invalid_patterns([glob]):
            fail(f"per-file-ignores: invalid gitignore-style pattern {glob!r}", line)
        sel = split_selectors(codes)
        try:
            validate_selectors(sel, known, f"per-file-ignores[{glob!r}]")
        except UsageError as exc:
            fail(exc.message, line)
        opts.per_file_ignores[glob] = sel

    for key in ("exclude", "extend-exclude"):
        if key in table:
            patterns = str_list(key, table[key])
            bad = invalid_patterns(patterns)
            if bad:
                fail(f"tool.ganlint.{key}: invalid gitignore-style pattern {bad[0]!r}", loc.key("tool.ganlint", key))
            opts.exclude.extend(patterns)
    for key, attr in (("respect-gitignore", "respect_gitignore"), ("report-unused-suppressions", "report_unused_suppressions")):
        if key in table:
            if not isinstance(table[key], bool):
                fail(f"tool.ganlint.{key} must be true or false", loc.key("tool.ganlint", key))
            setattr(opts, attr, table[key])
    if "fail-on" in table:
        value = table["fail-on"]
        if not isinstance(value, str) or value.strip().lower() not in ("error", "warning", "info"):
            fail('tool.ganlint.fail-on must be "error", "warning" or "info"', loc.key("tool.ganlint", "fail-on"))
        opts.fail_on = Severity.parse(value)

    rules = table.get("rules", {})
    if not isinstance(rules, dict):
        fail("tool.ganlint.rules must be a table of rule tables", loc.key("tool.ganlint", "rules"))
    by_key = {r.code: r for r in catalog + opts.custom_rules}
    by_key.update({r.slug: r for r in catalog + opts.custom_rules})
    for code, values in rules.items():
        line = loc.header(f"tool.ganlint.rules.{code}") or loc.key("tool.ganlint.rules", code)
        rule = by_key.get(code) or by_key.get(code.upper())
        if rule is None:
            fail(f"unknown rule {code!r} in [tool.ganlint.rules] (see `ganlint rules`)", line)
        if not isinstance(values, dict):
            fail(f"[tool.ganlint.rules.{code}] must be a table of options", line)
        checked: dict[str, Any] = {}
        for name, value in values.items():
            oline = loc.key(f"tool.ganlint.rules.{code}", name)
            if name not in rule.options:
                known_opts = ", ".join(sorted(rule.options)) or "none"
                fail(f"{rule.code} has no option {name!r} (options: {known_opts})", oline)
            checked[name] = _coerce(rule.code, name, rule.options[name], value, lambda m: fail(m, oline))
        opts.rule_options.setdefault(rule.code, {}).update(checked)

    root = opts.root
    if "model" in table:
        if not isinstance(table["model"], str):
            fail("tool.ganlint.model must be a path", loc.key("tool.ganlint", "model"))
        opts.model = os.path.join(root, table["model"])
    if "config" in table:
        opts.config = [os.path.join(root, c) for c in str_list("config", table["config"])]
    return opts


def _shown(value: Any) -> str:
    """A user's value for a one-line message: short, and never str() of a 5000-digit int (refused)."""
    from ganlint.reading.config.values import int_digits, shorten

    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        return f"an integer of {int_digits(value)} digits"
    try:
        return shorten(repr(value), 60)
    except ValueError:  # a huge int inside a list or table
        return f"a {type(value).__name__} holding a huge integer"


def _coerce(code: str, name: str, default: Any, value: Any, fail) -> Any:
    """A user value for an option, checked against the type of the option's default.

    Numbers must be finite and fit a float (every bound is compared with float settings): `max_lr = 1e309`
    or a 400-digit integer is refused at its line, as is nan (a bound no value is ever above)."""
    from ganlint.reading.config.values import finite_number, number_problem

    want = type(default)
    if default is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            fail(f"{code}.{name} must be true or false, not {_shown(value)}")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(f"{code}.{name} must be {'a number' if isinstance(default, float) else 'an integer'}, not {_shown(value)}")
        if not finite_number(value):
            fail(f"{code}.{name} must be a finite number within the range of a float, not {_shown(value)}")
        if isinstance(default, float):
            return float(value)
        if not isinstance(value, int):
            if value.is_integer():
                return int(value)
            fail(f"{code}.{name} must be an integer, not {_shown(value)}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            fail(f"{code}.{name} must be a string, not {_shown(value)}")
        return value
    if isinstance(default, (list, tuple)):
        if not isinstance(value, list):
            fail(f"{code}.{name} must be a list, not {_shown(value)}")
        problem = number_problem(value, "")
        if problem is not None:
            fail(f"{code}.{name}: {problem}")
        return want(value) if want in (list, tuple) else value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            fail(f"{code}.{name} must be a table, not {_shown(value)}")
        problem = number_problem(list(value.values()), "")
        if problem is not None:
            fail(f"{code}.{name}: {problem}")
        return value
    return value
