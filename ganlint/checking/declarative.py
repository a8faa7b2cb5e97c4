"""Range checks on settings as data: a rule is a canonical name, a role filter, bounds and a message.

A rule file then reads::

    class WganLearningRateHigh(SettingRangeRule):
        code, slug, severity = "GL104", "wgan-learning-rate-high", Severity.WARNING
        families = ("wgan-gp",)
        setting = "learning_rate"
        roles = ("generator", "critic", None)
        high = "max_lr"                      # option holding the upper bound
        options = {"max_lr": 2e-4, "proposed": 1e-4}
        message = "learning rate {value} of a WGAN-GP is above {high}; use {proposed}"

Semantics: the rule fires on a numeric setting whose ``canonical`` is ``setting`` (or one of them),
whose role is in ``roles`` (None in the tuple = role-less settings; ``roles = None`` = any role; with
``prefer_roles``, role-less settings are dropped when a setting of a preferred role exists), when
``value < low`` (``<=`` with ``low_inclusive=True``) or ``value > high`` (``>=`` with
``high_inclusive=True``). Bounds are option names, so users tune them in ``[tool.ganlint.rules.GLnnn]``;
a bound may also be a number. The fix sets the value to the ``proposed`` option (``proposed_low`` /
``proposed_high`` when the two directions differ), an int when the written value was an int.

For each (file, key) only the last written value counts, and one location is reported once.
``rule_from_table`` builds such a rule from a plain dict (users' own rules in ``[tool.ganlint]``).
"""
from __future__ import annotations

import re
from typing import Any, ClassVar, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.errors import UsageError
from ganlint.core.types import FAMILIES, ROLES, Edit, Finding, Fix, Setting, Severity
from ganlint.reading.config.values import finite_number
from ganlint.reading.facts import ProjectFacts

_ANY = object()


def _number(value: Any) -> bool:
    """A finite number that fits a float (math.isfinite of a 400-digit int raises OverflowError)."""
    return finite_number(value)


def _comparable(value: Any) -> bool:
    """A setting a range can judge: a finite number, or an infinity written as one (`lr: .inf` is above
    any bound); nan is below and above nothing."""
    return finite_number(value) or (isinstance(value, float) and value in (_INF, -_INF))


_INF = float("inf")
_UNKNOWN = object()  # "not computed yet" (a family may be None)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:g}"
        return text
    return str(value)


def _overridden_by_call(facts: ProjectFacts, s: Setting) -> bool:
    """A module constant `LR = 1e-3` that no optimizer of its file uses: each one writes its own literal
    `lr=` (the call wins; the finding, if any, points at the call)."""
    if s.style != "py-const" or s.canonical != "learning_rate":
        return False
    opts = [o for o in facts.code.optimizers if o.location.file == s.location.file]
    return bool(opts) and all(
        "lr" in o.kwargs and o.kwargs["lr"].has_literal and o.kwargs["lr"].location != s.location for o in opts)


def _drop_untrained_copies(facts: ProjectFacts, found: list[Finding]) -> list[Finding]:
    """An analysis script's own copy of a setting (`LATENT_SIZE = 100` in analyze.py, which loads the trained
    model and trains nothing) is not reported when the rule reports it where training happens. Only a top-level
    script counts: a config module other files import holds the project's one value and stays reported."""
    training = facts.training_files()
    if not any(f.location.file in training for f in found):
        return found
    return [f for f in found if not facts.trains_nothing(f.location.file)]


class SettingRangeRule(Rule):
    setting: ClassVar[str | tuple[str, ...]] = ""
    roles: ClassVar[tuple[str | None, ...] | None] = None
    # When settings with one of these roles exist, role-less ones are someone else's (PyMARL's agent `lr`
    # next to `vae_lr`): only the specific ones are checked.
    prefer_roles: ClassVar[tuple[str, ...]] = ()
    # Literal optimizer arguments in the code count as settings too (``Adam(G.parameters(), lr=1e-3)``),
    # when the code says whose optimizer it is (a role in ``roles``; role-less optimizers are skipped):
    # e.g. ("lr",). The fix then replaces the literal in the code.
    optimizer_args: ClassVar[tuple[str, ...]] = ()
    low: ClassVar[str | float | None] = None  # option name (or number): fire below it
    high: ClassVar[str | float | None] = None  # option name (or number): fire above it
    low_inclusive: ClassVar[bool] = False  # fire at value == low too
    high_inclusive: ClassVar[bool] = False  # fire at value == high too
    proposed: ClassVar[str | float | None] = "proposed"  # option name (or number) for the fix
    proposed_low: ClassVar[str | float | None] = None
    proposed_high: ClassVar[str | float | None] = None
    message: ClassVar[str] = "{key} = {value} is {direction} the usual range; use {proposed}"
    fix_message: ClassVar[str] = "set {key} to {proposed}"
    fix_safe: ClassVar[bool] = True

    # -- the check ------------------------------------------------------------------------------------
    def candidates(self, facts: ProjectFacts) -> list[Setting]:
        names = (self.setting,) if isinstance(self.setting, str) else tuple(self.setting)
        last: dict[tuple[str, str], Setting] = {}
        for s in facts.settings:
            if s.canonical not in names:
                continue
            if self.roles is not None and s.role not in self.roles:
                continue
            last[(s.location.file, s.key)] = s
        found = [s for s in last.values() if not _overridden_by_call(facts, s)] + self.code_settings(facts, names)
        if self.prefer_roles and any(s.role in self.prefer_roles for s in found):
            found = [s for s in found if s.role is not None]
        return found

    def code_settings(self, facts: ProjectFacts, names: tuple[str, ...]) -> list[Setting]:
        """Literal optimizer arguments as Settings (style "code"), for optimizers with a known role."""
        out: list[Setting] = []
        if not self.optimizer_args:
            return out
        for opt in getattr(facts.code, "optimizers", None) or []:
            role = self.optimizer_role(facts, opt)
            if role is None or (self.roles is not None and role not in self.roles):
                continue
            for name in self.optimizer_args:
                arg = (getattr(opt, "kwargs", None) or {}).get(name)
                default = getattr(opt, "default_lr", None) if name == "lr" else None
                if arg is None and default is not None:  # Adam(G.parameters()) trains at torch's 1e-3
                    out.append(Setting(
                        key=f"{opt.var or opt.cls}.{name}", value=default, location=opt.location, style="code-default",
                        canonical=names[0], role=role, raw=opt.call_src,
                    ))
                    continue
                # each number it takes in some run (`lr=lr_d`, lr_d = 2e-4 if case <= 7 else 1e-3), else its literal
                for arg in (getattr(opt, "reached", None) or {}).get(name) or [arg]:
                    if arg is None or not getattr(arg, "has_literal", False) or not _number(arg.literal):
                        continue
                    out.append(Setting(
                        key=f"{opt.var or opt.cls}.{name}", value=arg.literal, location=arg.location, style="code",
                        canonical=names[0], role=role, raw=arg.src,
                    ))
        return out

    def optimizer_role(self, facts: ProjectFacts, opt) -> str | None:
        """Hook for subclasses: whose optimizer `opt` is (default: what the code says, None when it says nothing)."""
        return getattr(opt, "role", None)

    def accept(self, facts: ProjectFacts, setting: Setting, opts: dict[str, Any]) -> bool:
        """Hook for subclasses: extra conditions beyond the range (default: none)."""
        return True

    def bound(self, spec: str | float | None, opts: dict[str, Any]) -> float | None:
        if spec is None:
            return None
        if isinstance(spec, str):
            value = opts.get(spec, self.options.get(spec))
            return value if _number(value) else None
        return spec

    def direction(self, value: float, opts: dict[str, Any]) -> str | None:
        low, high = self.bound(self.low, opts), self.bound(self.high, opts)
        if low is not None and (value < low or (self.low_inclusive and value == low)):
            return "below"
        if high is not None and (value > high or (self.high_inclusive and value == high)):
            return "above"
        return None

    def proposal(self, setting: Setting, direction: str, opts: dict[str, Any]) -> Any:
        spec = (self.proposed_low if direction == "below" else self.proposed_high) or self.proposed
        new = self.bound(spec, opts)
        if new is not None and isinstance(setting.value, int) and float(new).is_integer():
            new = int(new)
        return new

    def render(self, template: str, setting: Setting, direction: str, proposed: Any, opts: dict[str, Any]) -> str:
        low, high = self.bound(self.low, opts), self.bound(self.high, opts)
        fields = {
            "key": setting.key, "leaf": setting.leaf, "value": _fmt(setting.value), "canonical": setting.canonical,
            "role": setting.role or "", "direction": direction, "low": _fmt(low), "high": _fmt(high),
            "proposed": _fmt(proposed), **{k: _fmt(v) for k, v in opts.items()},
        }
        try:
            return template.format(**fields)
        except (KeyError, IndexError, ValueError):
            return f"{setting.key} = {_fmt(setting.value)} is {direction} the range"

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        seen: set[tuple] = set()
        out = []
        family = _UNKNOWN  # facts.families() walks every network and setting: once per check, not per finding
        for s in self.candidates(facts):
            if not _comparable(s.value):
                continue
            direction = self.direction(s.value, opts)
            if direction is None or not self.accept(facts, s, opts):
                continue
            where = (s.location.file, s.location.line, s.location.column)
            if where in seen:
                continue
            seen.add(where)
            if family is _UNKNOWN:
                family = self.family_of(facts)
            out.append(self.make_finding(facts, s, direction, opts, family))
        return _drop_untrained_copies(facts, out) if len(out) > 1 else out

    def make_finding(self, facts: ProjectFacts, s: Setting, direction: str, opts: dict[str, Any],
                     family: Any = _UNKNOWN) -> Finding:
        proposed = self.proposal(s, direction, opts)
        fix = None
        if proposed is not None:
            if s.style == "code":
                edit = Edit("replace-code", s.location.file, target=s.key, old=s.raw, new=_fmt(proposed), location=s.location)
            elif s.style == "code-default":  # no lr= in the call: add one
                from ganlint.reading.code.links import add_kwarg

                new_call = add_kwarg(s.raw or "", f"{s.leaf}={_fmt(proposed)}")
                edit = Edit("replace-code", s.location.file, target=s.key, old=s.raw, new=new_call,
                            location=s.location) if new_call else None
            else:
                edit = Edit("set-setting", s.location.file, target=s.key, old=s.value, new=proposed, location=s.location)
            fix = Fix(self.render(self.fix_message, s, direction, proposed, opts), edits=[edit] if edit else [],
                      safe=self.fix_safe)
        return self.finding(
            self.render(self.message, s, direction, proposed, opts),
            s.location,
            fix=fix,
            evidence={"setting": s.key, "value": s.value, "canonical": s.canonical, "role": s.role,
                      "low": self.bound(self.low, opts), "high": self.bound(self.high, opts)},
            family=self.family_of(facts) if family is _UNKNOWN else family,
        )

    def family_of(self, facts: ProjectFacts) -> str | None:
        if not self.families:
            return None
        present = facts.families()
        for fam in self.families:
            if fam in present:
                return fam
        return None


# -- user-declared rules ---------------------------------------------------------------------------
_TABLE_KEYS = {
    "slug", "setting", "roles", "families", "min", "max", "min_inclusive", "max_inclusive", "proposed",
    "severity", "message", "summary", "why", "use_instead", "source", "fix_message",
}


def rule_from_table(code: str, table: dict[str, Any]) -> Rule:
    """A SettingRangeRule from a plain table, e.g. from ``[tool.ganlint.custom-rules.GL901]``::

        slug = "vae-batch-large"            # required
        setting = "batch_size"              # required: a canonical name (or a list of them)
        families = ["vae"]                  # optional: fire only in these families
        roles = ["generator", "none"]       # optional: "none" = role-less settings; absent = any role
        max = 256                           # at least one of min / max
        min = 8
        max_inclusive = false               # fire at value == max too
        proposed = 128                      # optional: the fix's value
        severity = "info"                   # info | warning | error (default warning)
        message = "batch {value} is above {high}"   # optional; fields: key value low high proposed direction

    Bad tables raise UsageError naming the code and the problem.
    """
    where = f"rule {code}"
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table")
    if not re.fullmatch(r"[A-Z]{1,8}\d{1,4}", str(code)):
        raise UsageError(f"{where}: a code is letters then digits, e.g. GL901")
    unknown = set(table) - _TABLE_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown keys {sorted(unknown)}")
    slug = table.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        raise UsageError(f"{where}: 'slug' must be lowercase words joined by '-'")
    setting = table.get("setting")
    if isinstance(setting, list) and setting and all(isinstance(x, str) for x in setting):
        setting = tuple(setting)
    elif not isinstance(setting, str) or not setting:
        raise UsageError(f"{where}: 'setting' must name a canonical setting (e.g. \"learning_rate\")")
    low, high = table.get("min"), table.get("max")
    if low is None and high is None:
        raise UsageError(f"{where}: give 'min' or 'max'")
    for name, v in (("min", low), ("max", high), ("proposed", table.get("proposed"))):
        if v is not None and not _number(v):
            raise UsageError(f"{where}: '{name}' must be a finite number within the range of a float")
    roles = table.get("roles")
    if roles is not None:
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise UsageError(f"{where}: 'roles' must be a list of role names")
        bad = [r for r in roles if r != "none" and r not in ROLES]
        if bad:
            raise UsageError(f"{where}: unknown roles {bad}; use {list(ROLES)} or \"none\"")
        roles = tuple(None if r == "none" else r for r in roles)
    families = table.get("families", [])
    if not isinstance(families, list) or not all(f in FAMILIES for f in families):
        raise UsageError(f"{where}: 'families' must be a list among {list(FAMILIES)}")
    try:
        severity = Severity.parse(str(table.get("severity", "warning")))
    except KeyError:
        raise UsageError(f"{where}: severity must be info, warning or error") from None
    for key in ("message", "summary", "why", "use_instead", "source", "fix_message"):
        if key in table and not isinstance(table[key], str):
            raise UsageError(f"{where}: '{key}' must be a string")
    for key in ("min_inclusive", "max_inclusive"):
        if key in table and not isinstance(table[key], bool):
            raise UsageError(f"{where}: '{key}' must be true or false")

    options: dict[str, Any] = {}
    if low is not None:
        options["min"] = low
    if high is not None:
        options["max"] = high
    if table.get("proposed") is not None:
        options["proposed"] = table["proposed"]
    names = setting if isinstance(setting, tuple) else (setting,)
    attrs = {
        "code": str(code),
        "slug": slug,
        "severity": severity,
        "summary": table.get("summary", f"{' / '.join(names)} outside the project's range"),
        "why": table.get("why", "A range declared in this project's configuration."),
        "use_instead": table.get("use_instead", "A value inside the declared range."),
        "source": table.get("source", "project configuration"),
        "families": tuple(families),
        "setting": setting,
        "roles": roles,
        "low": "min" if low is not None else None,
        "high": "max" if high is not None else None,
        "low_inclusive": bool(table.get("min_inclusive", False)),
        "high_inclusive": bool(table.get("max_inclusive", False)),
        "proposed": "proposed" if "proposed" in options else None,
        "options": options,
        "option_docs": {k: f"{k} bound of the declared range" for k in options},
        "bad": [],
        "good": [],
    }
    if "message" in table:
        attrs["message"] = table["message"]
    if "fix_message" in table:
        attrs["fix_message"] = table["fix_message"]
    cls = type(f"DeclaredRule_{code}", (SettingRangeRule,), attrs)
    return cls()


__all__ = ["SettingRangeRule", "rule_from_table", "Example"]
