"""`ganlint fix`: the staged plan of RULES.md turned into edited files (and, with --verify, proved by the probe).

    from ganlint.fix import fix_files
    result = fix_files(["fixtures/wgan_gp_000_broken"], upto=None)   # nothing written
    result.new_texts  -> {path: fixed text};  result.applied -> [PlannedFix, ...]
    result.write(mode="copies" | "in-place" | "dir", out_dir=None)

Modules: `edits/` (the engine: config round-trip, LibCST code edits), `project.py` (what a rule's fix reads:
texts, facts, edit helpers), `planner.py` (stages, one edit per setting, safety), `writer.py` (atomic output),
`verify.py` (probe each stage, Optuna search), `report.py` (fix-report.json/html). What each fix changes is
its rule's `fixes()` (rules/glNNN_*.py).
torch is imported only by verify.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ganlint.core.errors import UsageError
from ganlint.fix.planner import Plan, PlannedFix, make_plan

__all__ = ["fix_files", "FixResult", "input_files", "apply_plan"]

# stages applied without --verify unless --stage/--all-stages say otherwise: the documents' "only if still
# unhealthy" stage (4) needs the probe's evidence.
DEFAULT_MAX_STAGE = 3


@dataclass
class FixResult:
    plan: Plan
    applied: list[PlannedFix] = field(default_factory=list)
    new_texts: dict[str, str] = field(default_factory=dict)  # changed files only
    upto: int | None = None
    failed: list[tuple[PlannedFix, str]] = field(default_factory=list)  # fixes whose edits could not apply

    @property
    def changed(self) -> list[str]:
        return sorted(self.new_texts)

    def diff(self) -> str:
        from ganlint.fix.writer import unified_diff

        return "".join(unified_diff(os.path.relpath(p), self.plan.texts[p], t) for p, t in sorted(self.new_texts.items()))

    def targets(self, mode: str = "copies", out_dir: str | None = None) -> dict[str, str]:
        """path -> text of what `write` would write."""
        from ganlint.fix.writer import common_root, fixed_name

        if mode == "in-place":
            return dict(self.new_texts)
        if mode == "copies":
            return {fixed_name(p): t for p, t in self.new_texts.items()}
        if mode == "dir":
            if not out_dir:
                raise UsageError("-o needs a directory")
            root = common_root(self.plan.files)
            return {os.path.join(out_dir, os.path.relpath(os.path.abspath(p), root)): self.new_texts.get(p, self.plan.texts[p])
                    for p in self.plan.files}
        raise UsageError(f"unknown output mode {mode!r}")

    def write(self, mode: str = "copies", out_dir: str | None = None) -> list[str]:
        from ganlint.fix.writer import write_all

        targets = self.targets(mode, out_dir)
        # same order as targets(): each target is the fixed version of one input (its mode, BOM, line endings)
        inputs = list(self.new_texts) if mode in ("in-place", "copies") else list(self.plan.files)
        write_all(targets, sources=dict(zip(targets, inputs)))
        return sorted(targets)

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.plan.family, "upto": self.upto, "changed": self.changed,
                "applied": [f.to_dict() for f in self.applied], "plan": self.plan.to_dict()}


def input_files(paths: list[str] | None, exclude: list[str] | None = None, options=None) -> list[str]:
    """The files to fix: PATHs (directories expanded), else [tool.ganlint] model/config, else the model and
    config in the current directory. `*.fixed.*` outputs of an earlier run are never inputs. `options`: the
    run's loaded [tool.ganlint] (loaded here when needed and not given)."""
    from ganlint.reading.discovery import discover

    if not paths:
        from ganlint.checking.options import load_options

        opts = options if options is not None else load_options()  # a bad [tool.ganlint]: one line, exit 2
        paths = [opts.model] if opts.model else []
        paths.extend(opts.config or [])
        if not paths:
            cands = [n for n in sorted(os.listdir(".")) if n.endswith((".py", ".yaml", ".yml", ".json", ".toml"))
                     and n != "pyproject.toml" and ".fixed." not in n and not n.startswith(("test_", "setup"))]
            paths = cands
        if not paths:
            raise UsageError("no PATH given and no model/config found here (set [tool.ganlint] model/config)")
    files, errors = discover(list(paths))
    if errors:
        raise errors[0]
    skip_dirs = [os.path.abspath(x) for x in (exclude or [])]

    def keep(f: str) -> bool:
        a = os.path.abspath(f)
        if any(a == d or a.startswith(d + os.sep) for d in skip_dirs):
            return False
        parts = a.split(os.sep)
        if any(p in ("fix-report", "ganlint-probe") for p in parts[:-1]):
            return False
        return ".fixed." not in os.path.basename(f) and os.path.basename(f) not in ("expected.toml", "pyproject.toml")

    explicit = {os.path.abspath(p) for p in paths if os.path.isfile(p)}
    files = [f for f in files if os.path.abspath(f) in explicit or keep(f)]
    if not files:
        raise UsageError("no Python, YAML, JSON or TOML files to fix")
    return files


def apply_plan(plan: Plan, upto: int | None = None, only: set[int] | None = None) -> FixResult:
    """Apply the chosen stages fix by fix (in stage order). A fix whose edits cannot be applied is left out
    (recorded in `failed`) and the others still apply; each file is parsed once for all of them."""
    from ganlint.fix.edits import apply_fixes

    chosen = [f for f in sorted(plan.fixes, key=lambda f: (f.stage, f.code))
              if (upto is None or f.stage <= upto) and (only is None or f.stage in only)]
    new, done, errors = apply_fixes(plan.texts, [fx.edits for fx in chosen])
    res = FixResult(plan, [chosen[i] for i in done], new, upto)
    res.failed = [(chosen[i], why) for i, why in errors]
    return res


def fix_files(paths: list[str] | None, *, upto: int | None = DEFAULT_MAX_STAGE, family: str | None = None,
              select: list[str] | None = None, ignore: list[str] | None = None, unsafe: bool = False,
              options=None) -> FixResult:
    """Plan and apply (nothing written). [tool.ganlint] is loaded once (or `options` given) and honoured as
    `check` honours it: its select/ignore, per-file ignores and rule options."""
    if options is None:
        from ganlint.checking.options import load_options

        options = load_options()
    files = input_files(paths, options=options)
    plan = make_plan(files, family=family, select=select, ignore=ignore, unsafe=unsafe, options=options)
    return apply_plan(plan, upto)
