"""The staged plan (RULES.md "Staged fixes"): each rule's complete fix for its findings, ordered by stage.

    plan = make_plan(files, family=None, select=None, ignore=None, unsafe=False)
    plan.stages -> {1: [PlannedFix, ...], 2: [...]}; plan.edits(upto=2) -> [Edit, ...]

What to change is the rules' business (`Rule.fixes`, in rules/glNNN_*.py: edits with their parameters from
the facts, staged as the documents say). The planner only orders the fixes by stage, resolves two edits of
one setting (the earlier stage's wins), and applies the safety levels: safe fixes apply, unsafe ones wait for
--unsafe-fixes (a rule's fix is applied whole or not at all), display-only ones are listed as manual.
A fix proposes nothing when the files already say what the document asks: planning the fixed output yields
an empty plan (idempotence).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from ganlint.core.types import Edit, Finding, Fix
from ganlint.fix.edits import SETTING_KINDS
from ganlint.fix.project import Knob, Project, facts_from_texts  # noqa: F401  (verify and tests use them here)
from ganlint.reading.facts import ProjectFacts

# The documents' knobs given as ranges: searched by `fix --verify` (first value = the document's choice).
KNOBS: dict[str, dict[str, dict[str, Any]]] = {
    "wgan-gp": {
        "learning_rate": {"choices": [1e-4, 5e-5], "doc": "000 §1.3", "stage": 2},
        "batch_size": {"choices": [64, 128], "doc": "000 §1.3", "stage": 2},
        "latent_dim": {"int": (8, 32), "first": 16, "doc": "000 §1.4", "stage": 3},
        "gp_weight": {"choices": [10.0, 5.0, 1.0], "doc": "000 §2.4", "stage": 4},
    },
    "gan": {
        "learning_rate": {"choices": [2e-4, 1e-4], "doc": "002 §3(3)", "stage": 2},
        "batch_size": {"choices": [64, 128], "doc": "000 §1.3", "stage": 2},
    },
    "vae": {
        "learning_rate": {"choices": [3e-4, 1e-4], "doc": "003 2️⃣", "stage": 1},
        "kl_weight": {"choices": [0.01, 0.005, 0.02], "doc": "003 1️⃣", "stage": 1},
        "kl_anneal_steps": {"choices": [1000, 500, 2000], "doc": "003 1️⃣", "stage": 1},
    },
    "energy": {
        "temperature": {"float": (0.1, 1.0), "first": 0.3, "doc": "004 方案3", "stage": 1},
        # 0.1× of the original rate first, then the ramp of 方案4 (0.1× -> 0.5×)
        "learning_rate": {"factors": [0.1, 0.3, 0.5], "doc": "004 方案4", "stage": 1},
    },
}
KNOBS["wgan"] = KNOBS["wgan-gp"]

STAGE_NAMES = {
    "wgan-gp": {1: "activations, critic output, critic width", 2: "lr, batch, n_critic", 3: "z_dim", 4: "λ, diversity"},
    "gan": {1: "non-saturating loss, logits", 2: "Adam β1 0.5, lr 2e-4", 3: "label smoothing"},
    "vae": {1: "lr, KL weight + annealing, clamp log_var", 2: "Adam betas, grad clip 10", 3: "latent_dim", 4: "lr 1e-4"},
    "energy": {1: "head rescaled, τ, lr, clip", 2: "harder negatives", 3: "lr / clip schedule"},
}
STAGE_NAMES["wgan"] = STAGE_NAMES["wgan-gp"]


@dataclass
class PlannedFix:
    code: str
    stage: int
    message: str
    source: str
    edits: list[Edit] = field(default_factory=list)
    safe: bool = True
    origin: str = "planner"  # "rule" (a finding's own Fix) or "planner" (added by the rule's `fixes()`)

    def describe(self) -> str:
        return f"{self.code} (stage {self.stage}, {self.source}): {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "stage": self.stage, "message": self.message, "source": self.source,
                "safe": self.safe, "safety": "safe" if self.safe else "unsafe", "origin": self.origin,
                "edits": [e.to_dict() for e in self.edits]}


@dataclass
class Plan:
    family: str | None
    files: list[str]
    texts: dict[str, str]
    fixes: list[PlannedFix] = field(default_factory=list)
    unsafe_skipped: list[PlannedFix] = field(default_factory=list)
    manual: list[Finding] = field(default_factory=list)  # findings the fixer cannot apply (display-only)
    findings: list[Finding] = field(default_factory=list)
    dropped: list[tuple[PlannedFix, str]] = field(default_factory=list)  # edits lost to another fix, and why

    @property
    def stages(self) -> dict[int, list[PlannedFix]]:
        out: dict[int, list[PlannedFix]] = {}
        for f in sorted(self.fixes, key=lambda f: (f.stage, f.code)):
            out.setdefault(f.stage, []).append(f)
        return out

    def edits(self, upto: int | None = None, only: set[int] | None = None) -> list[Edit]:
        out = []
        for f in sorted(self.fixes, key=lambda f: (f.stage, f.code)):
            if (upto is None or f.stage <= upto) and (only is None or f.stage in only):
                out.extend(f.edits)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "fixes": [f.to_dict() for f in self.fixes],
                "unsafe_skipped": [f.to_dict() for f in self.unsafe_skipped],
                "manual": [{"code": f.code, "message": f.message, "location": str(f.location), "safety": "display-only",
                            "fix": f.fix.message if f.fix else None} for f in self.manual],
                "dropped": [{"code": f.code, "why": why} for f, why in self.dropped]}


# -- planning -------------------------------------------------------------------------------------
def make_plan(files: list[str], *, family: str | None = None, select: list[str] | None = None,
              ignore: list[str] | None = None, unsafe: bool = False, findings: list[Finding] | None = None,
              texts: dict[str, str] | None = None, session=None, options=None) -> Plan:
    """The plan for `files`. `session` (ganlint.session.Session) shares the run's texts and options; without
    it one is made here, with `options` or else the nearest [tool.ganlint], as `check` loads them."""
    from ganlint.checking import registry, runner
    from ganlint.session import Session

    files = list(dict.fromkeys(files))
    if session is None:
        session = Session(files, options, texts=texts)
    res = runner.check_paths(files, select, ignore, options=session.options, session=session)
    if res.errors:
        raise res.errors[0]  # unreadable input: one line with file:line, exit 2
    texts = {f: session.text(f) for f in files}
    facts = _own_paths(res.facts if res.facts is not None else ProjectFacts(), files)
    if findings is None:
        findings = res.findings
    project = Project(files, texts, facts)
    fams = {family} if family else project.families()
    project.family = _primary(fams)
    plan = Plan(project.family, files, texts, findings=findings)

    by_code: dict[str, list[Finding]] = {}
    for fnd in findings:
        by_code.setdefault(fnd.code, []).append(fnd)
    planned: list[PlannedFix] = []
    for code, fnds in sorted(by_code.items()):
        rule = registry.rule_by_code(code) or session.rule(code)
        if rule is None:
            fixes = [f.fix for f in fnds if f.fix is not None]
            stage0, source = None, ""
        else:
            try:
                fixes = rule.fixes(project, fnds, session.rule_options(code, rule.options))
            except RecursionError:  # a rule's LibCST walk of code nested thousands deep: shown, not applied
                fixes = [_too_deep(fnds[0], texts)]
            stage0, source = rule.fix_stage, rule.source
        own = {id(f.fix) for f in fnds if f.fix is not None}
        code_fixes, shown = [], []
        for fx in fixes:
            edits = [e for e in fx.edits if e.file in texts]
            if fx.safety == "display-only" or not edits:
                if id(fx) not in own:  # the rule's refusal, with its reason
                    shown.append(replace(fnds[0], fix=fx))
                continue
            code_fixes.append(PlannedFix(code, fx.stage or stage0 or 1, fx.message, source, edits, fx.safe,
                                         "rule" if id(fx) in own else "planner"))
        if not code_fixes:
            plan.manual.extend(shown or [f for f in fnds if f.fix is not None])
            continue
        plan.manual.extend(shown)
        # one rule, one safety: when any part of a rule's fix is unsafe, the whole fix waits for
        # --unsafe-fixes (half of it could leave the code inconsistent)
        code_safe = all(fx.safe for fx in code_fixes)
        for fx in code_fixes:
            fx.safe = code_safe
        planned.extend(code_fixes)
    for fx in _one_edit_per_setting(planned, plan):
        (plan.fixes if (fx.safe or unsafe) else plan.unsafe_skipped).append(fx)
    # one line per place and message (a rule may report one line twice: two fakes in one D call)
    plan.manual = list({(str(f.location), f.code, f.fix.message if f.fix else ""): f for f in plan.manual}.values())
    return plan


def _too_deep(finding: Finding, texts: dict[str, str]) -> Fix:
    from ganlint.core.display import shown
    from ganlint.core.errors import nesting_line
    from ganlint.fix.project import refused

    file = finding.location.file
    where = f"{shown(file)}:{nesting_line(texts[file])}" if file in texts else shown(file)
    return refused(finding.fix.message if finding.fix else finding.message,
                   f"{where}: too deeply nested to edit (past Python's recursion limit)")


def _one_edit_per_setting(fixes: list[PlannedFix], plan: Plan) -> list[PlannedFix]:
    """Two fixes that write one setting (same file and key): the earlier stage's edit wins (then the lower
    code); the other loses that edit, and a fix left with no edit is dropped (recorded in plan.dropped).
    The same edit twice (two findings on one line) is kept once."""
    taken: dict[tuple[str, str], PlannedFix] = {}
    seen: set[str] = set()
    out = []
    for fx in sorted(fixes, key=lambda f: (f.stage, f.code, f.origin != "rule")):
        kept = []
        for e in fx.edits:
            sig = repr(sorted(e.to_dict().items()))
            if sig in seen:
                continue
            if e.kind in SETTING_KINDS and e.target:
                key = (os.path.abspath(e.file), e.target)
                if key in taken and taken[key] is not fx:
                    plan.dropped.append((fx, f"{e.target} is already set by {taken[key].code}"))
                    continue
                taken[key] = fx
            seen.add(sig)
            kept.append(e)
        fx.edits = kept
        if kept:
            out.append(fx)
    return out


def _own_paths(facts: ProjectFacts, files: list[str]) -> ProjectFacts:
    """The facts with every location's file spelled as in `files` (the check may normalise paths)."""
    by_abs = {os.path.abspath(f): f for f in files}
    for s in facts.settings:
        f = by_abs.get(os.path.abspath(s.location.file))
        if f is not None and f != s.location.file:
            s.location = replace(s.location, file=f)
    return facts


def _primary(fams: set[str]) -> str | None:
    for f in ("wgan-gp", "wgan", "gan", "vae", "energy"):
        if f in fams:
            return f
    return None


__all__ = ["make_plan", "Plan", "PlannedFix", "Project", "Knob", "KNOBS", "STAGE_NAMES", "Fix"]
