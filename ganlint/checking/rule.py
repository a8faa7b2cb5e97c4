"""The rule contract: one rule, one file in rules/, self-describing (docs, options, examples, fix)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from ganlint.core.types import Finding, Fix, Location, Severity
from ganlint.reading.facts import ProjectFacts


@dataclass
class Example:
    """A small project (file name -> text). In `bad` examples, every line where the rule must report
    carries a trailing `# expect` comment (YAML and Python alike); a good example must stay silent.

    `fixed` is what the rule's fix makes of a bad example: (old, new) replacements of exact text, each
    applied once, in order, to the file that holds `old` (a file named by a three-tuple (file, old, new)).
    `tests/test_rule_examples.py` applies the fix and compares; `ganlint rule GLnnn` shows the result."""

    files: dict[str, str]
    note: str = ""
    fixed: list[tuple[str, ...]] | None = None

    def fixed_files(self) -> dict[str, str] | None:
        """The example's files after the fix (None when the example declares no fixed form)."""
        if self.fixed is None:
            return None
        out = dict(self.files)
        for step in self.fixed:
            name, old, new = step if len(step) == 3 else (None, *step)
            names = [name] if name else [n for n, t in out.items() if old in t]
            if len(names) != 1 or old not in out.get(names[0], ""):
                raise ValueError(f"fixed form: {old!r} is not in exactly one file of the example")
            out[names[0]] = out[names[0]].replace(old, new, 1)
        return out


FIX_SAFETY_LEVELS = ("safe", "unsafe", "display-only")
FIX_SAFETY_MEANING = {
    "safe": "`ganlint fix` applies it: it changes only what the finding names and keeps what the code means.",
    "unsafe": "applied only with `--unsafe-fixes`: it can change what the program does beyond the finding.",
    "display-only": "never applied: the fix is shown (message and, where there is one, the edit) for a person to decide.",
}


class Rule:
    """Subclass per rule, in rules/glNNN_<slug>.py, and expose it as `RULE = MyRule()`."""

    code: ClassVar[str]
    slug: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line: what it finds
    why: ClassVar[str]  # why is this bad (markdown, a few sentences)
    use_instead: ClassVar[str]  # what to do instead (markdown, code allowed)
    source: ClassVar[str]  # "000 §1.1", "paper", ...
    families: ClassVar[tuple[str, ...]] = ()  # empty = any family
    options: ClassVar[dict[str, Any]] = {}  # thresholds: name -> default, settable in [tool.ganlint.rules.GLnnn]
    option_docs: ClassVar[dict[str, str]] = {}
    fix_stage: ClassVar[int | None] = None  # staged-fix table (RULES.md); None if outside it
    # The rule's fix, as documented: safe | unsafe | display-only (None: the rule has no fix), and why.
    fix_safety: ClassVar[str | None] = None
    fix_safety_why: ClassVar[str] = ""
    runtime: ClassVar[bool] = False  # GL5xx: measured by the probe, not by check
    # the probe's name for this rule's condition seen in the built networks (runner's static_facts), for the
    # runtime findings that confirm it
    runtime_fact: ClassVar[str | None] = None
    bad: ClassVar[list[Example]] = []
    good: ClassVar[list[Example]] = []

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        """Yield findings. `opts` = self.options overridden by the user's configuration."""
        return ()

    def fixes(self, project: Any, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        """The rule's complete fix for its findings in one project: Fixes whose edits carry every parameter
        (the class, the key, the call) taken from the facts, in the rule's stage. `project` is a
        ganlint.fix.project.Project (texts, facts, edit helpers); `opts` the rule's options as configured.
        Default: each finding's own Fix. Return [] (and say why in the findings' Fix) rather than an edit
        that changes nothing."""
        return [f.fix for f in findings if f.fix is not None]

    # -- helpers for rule authors ---------------------------------------------------------
    def applies(self, facts: ProjectFacts) -> bool:
        return not self.families or facts.is_family(*self.families)

    def finding(
        self,
        message: str,
        location: Location,
        *,
        related: list[Location] | None = None,
        fix: Fix | None = None,
        evidence: dict[str, Any] | None = None,
        severity: Severity | None = None,
        family: str | None = None,
    ) -> Finding:
        if fix is not None and fix.stage is None:
            fix.stage = self.fix_stage
        return Finding(
            code=self.code,
            slug=self.slug,
            severity=severity or self.severity,
            message=message,
            location=location,
            related=related or [],
            fix=fix,
            evidence=evidence or {},
            family=family,
        )

    def docs(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "slug": self.slug,
            "severity": str(self.severity),
            "summary": self.summary,
            "why": self.why,
            "use_instead": self.use_instead,
            "source": self.source,
            "families": list(self.families),
            "options": dict(self.options),
            "option_docs": dict(self.option_docs),
            "fix_stage": self.fix_stage,
            "runtime": self.runtime,
            "example_bad": [e.files for e in self.bad[:1]],
            "example_good": [e.files for e in self.good[:1]],
            # the bad example fixed (not a different program); none when the rule has no automatic fix
            "example_fixed": [f for f in (e.fixed_files() for e in self.bad[:1]) if f is not None],
            "fix_safety": self.fix_safety_doc(),
        }

    def fix_safety_doc(self) -> str:
        """The generated "Fix safety" section: the level, what it means, and the rule's reason."""
        if self.fix_safety is None:
            return "This rule has no automatic fix."
        if self.fix_safety not in FIX_SAFETY_LEVELS:
            raise ValueError(f"{self.code}: fix_safety must be one of {FIX_SAFETY_LEVELS}")
        text = f"{self.fix_safety}: {FIX_SAFETY_MEANING[self.fix_safety]}"
        return text + (f" {self.fix_safety_why.strip()}" if self.fix_safety_why.strip() else "")
