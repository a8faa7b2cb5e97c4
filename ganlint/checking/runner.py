"""check: files -> facts -> rules -> findings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ganlint.core.errors import GanlintError
from ganlint.core.types import Finding
from ganlint.checking.registry import select_rules
from ganlint.reading.discovery import discover
from ganlint.reading.facts import ProjectFacts
from ganlint.reading.project import read_files


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[GanlintError] = field(default_factory=list)
    facts: ProjectFacts | None = None
    files: list[str] = field(default_factory=list)


def run_rules(facts: ProjectFacts, select=None, ignore=None, rule_options: dict[str, dict[str, Any]] | None = None):
    findings: list[Finding] = []
    for rule in select_rules(select, ignore):
        if rule.runtime or not rule.applies(facts):
            continue
        opts = {**rule.options, **(rule_options or {}).get(rule.code, {})}
        findings.extend(rule.check(facts, opts))
    return sorted(findings, key=Finding.sort_key)


def check_paths(paths: list[str], select=None, ignore=None, exclude=None, rule_options=None) -> CheckResult:
    files, errors = discover(paths, exclude)
    read = read_files(files)
    findings = run_rules(read.facts, select, ignore, rule_options)
    return CheckResult(findings=findings, errors=[*errors, *read.errors], facts=read.facts, files=read.facts.files)
