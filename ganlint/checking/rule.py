"""The rule contract: one rule, one file in rules/, self-describing (docs, options, examples, fix)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from ganlint.core.types import Finding, Fix, Location, Severity
from ganlint.reading.facts import ProjectFacts


@dataclass
class Example:
    """A small project (file name -> text). In `bad` examples, every line where the rule must report
    carries a trailing `# expect` comment (YAML and Python alike); a good example must stay silent."""

    files: dict[str, str]
    note: str = ""


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
    runtime: ClassVar[bool] = False  # GL5xx: measured by the probe, not by check
    bad: ClassVar[list[Example]] = []
    good: ClassVar[list[Example]] = []

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        """Yield findings. `opts` = self.options overridden by the user's configuration."""
        return ()

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
        }
