"""check: files -> facts -> rules -> findings (then per-file ignores, inline suppressions, unused suppressions).

    check_paths(paths, select=None, ignore=None, exclude=None, rule_options=None, *, options=None,
                report_unused_suppressions=None) -> CheckResult

`options` (ganlint.checking.options.Options, from [tool.ganlint]) supplies the configured selection,
per-file ignores, excludes, rule thresholds and custom rules; the keyword arguments override or extend it
(select replaces the configured select; ignore and exclude extend theirs). A rule that raises becomes an
error naming the rule (exit 2), the other rules still run.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ganlint.core.errors import GanlintError
from ganlint.core.types import Finding, Severity
from ganlint.checking import registry
from ganlint.checking.options import Options, selector_matches, split_selectors
from ganlint.reading.discovery import discover, group_projects
from ganlint.reading.facts import ProjectFacts


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[GanlintError] = field(default_factory=list)
    notes: list[GanlintError] = field(default_factory=list)  # files read partially (exit code unchanged)
    facts: ProjectFacts | None = None
    files: list[str] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)  # the projects, each read and checked on its own

    def exit_code(self, fail_on: Severity = Severity.INFO, exit_zero: bool = False) -> int:
        """As ruff: 2 unreadable input/internal error, 1 a finding at or above `fail_on`, else 0."""
        if self.errors:
            return 2
        if exit_zero:
            return 0
        return 1 if any(f.severity >= fail_on for f in self.findings) else 0


def _specificity(pattern: str) -> int:
    p = pattern.strip()
    if p.upper() == "ALL":
        return 0
    if re.fullmatch(r"GL\d{0,3}", p, re.I):
        return len(p)
    return 5  # a slug names one rule, like a full code


def is_selected(code: str, slug: str, select: list[str] | None, ignore: list[str]) -> bool:
    """Ruff's rule: the most specific matching selector wins; on a tie, ignore wins."""
    sel = [_specificity(p) for p in (select if select is not None else ["ALL"]) if selector_matches(code, slug, p)]
    if not sel:
        return False
    ign = [_specificity(p) for p in ignore if selector_matches(code, slug, p)]
    return not ign or max(sel) > max(ign)


def choose_rules(select: list[str] | None, ignore: list[str], custom: list | None = None) -> list:
    rules = list(registry.all_rules()) + list(custom or [])
    return [r for r in rules if is_selected(r.code, r.slug, select, ignore)]


def run_rules(facts: ProjectFacts, select=None, ignore=None, rule_options: dict[str, dict[str, Any]] | None = None,
              *, rules: list | None = None, errors: list[GanlintError] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    chosen = rules if rules is not None else choose_rules(split_selectors(select) or None, split_selectors(ignore))
    from ganlint.checking.rule import Rule

    families = None  # the project's families, worked out once for all the rules (not once per rule)
    for rule in chosen:
        if rule.runtime:
            continue
        if rule.families and type(rule).applies is Rule.applies:  # Rule.applies, without its recomputation
            if families is None:
                families = facts.families()
            if not families & set(rule.families):
                continue
        elif not rule.applies(facts):
            continue
        opts = {**rule.options, **(rule_options or {}).get(rule.code, {})}
        try:
            findings.extend(f for f in rule.check(facts, opts) if not _other_family_file(facts, rule, f))
        except Exception as exc:  # a bug in one rule must not hide the others' findings
            if errors is None:
                raise
            errors.append(GanlintError(f"internal error in rule {rule.code}: {exc.__class__.__name__}: {exc}"))
    return sorted(findings, key=Finding.sort_key)


def _other_family_file(facts: ProjectFacts, rule, finding: Finding) -> bool:
    """A family rule's finding in a Python file whose own code trains another family (the LSGAN script of
    a repository that also holds a WGAN-GP is not judged as a WGAN-GP), or in a training script of no
    family whose program (the files it imports and that import it) shows none of the rule's families."""
    fams = getattr(rule, "families", ())
    file = finding.location.file
    if not fams or not hasattr(facts, "file_families"):
        return False
    if not file.endswith(".py") and not facts.selects_standard_loss(file):
        return False  # a config file is judged by the project, unless it selects its own standard loss
    own = facts.file_families(file)
    if not own and set(fams) <= {"gan", "wgan", "wgan-gp"} and file.endswith(".py") and facts.trains_no_game(file):
        return True  # a style-transfer script of a GAN repository: it trains no GAN
    if not own and file in facts.training_files() and file.endswith(".py"):
        # a script that trains something and shows no family, nor do the files of its program
        return not facts.program_shows(file, set(fams))
    return bool(own) and not own & set(fams)


def _per_file_filter(findings: list[Finding], per_file: dict[str, list[str]], root: str) -> list[Finding]:
    if not per_file:
        return findings
    import pathspec

    specs = [(pathspec.GitIgnoreSpec.from_lines([glob]), codes) for glob, codes in per_file.items()]
    cache: dict[str, list[str]] = {}

    def ignored_codes(path: str) -> list[str]:
        if path not in cache:
            apath = os.path.abspath(path)
            rel = os.path.relpath(apath, root).replace(os.sep, "/")
            names = [rel, os.path.basename(apath)] if not rel.startswith("../") else [apath.lstrip("/"), os.path.basename(apath)]
            cache[path] = [c for spec, codes in specs if any(spec.match_file(n) for n in names) for c in codes]
        return cache[path]

    return [f for f in findings if not any(selector_matches(f.code, f.slug, c) for c in ignored_codes(f.location.file))]


def keep_configured(findings: list[Finding], opts) -> list[Finding]:
    """[tool.ganlint]'s select, ignore and per-file-ignores applied to findings made outside `check` (the
    probe's), exactly as `check` applies them to its own."""
    from ganlint.checking.registry import select_rules

    wanted = {r.code for r in select_rules(opts.select, opts.ignore)}
    return _per_file_filter([f for f in findings if f.code in wanted], opts.per_file_ignores, opts.root)


def check_paths(
    paths: list[str],
    select=None,
    ignore=None,
    exclude=None,
    rule_options=None,
    *,
    options: Options | None = None,
    report_unused_suppressions: bool | None = None,
    session=None,
) -> CheckResult:
    """`session` (ganlint.session.Session) supplies the texts already read this run and its options."""
    from ganlint.reading.project import collector_paused

    with collector_paused():  # the syntax trees stay alive through the rules: see collector_paused
        return _check_paths(paths, select, ignore, exclude, rule_options, options, report_unused_suppressions,
                            session)


def _check_paths(paths, select, ignore, exclude, rule_options, options, report_unused_suppressions,
                 session) -> CheckResult:
    from ganlint.checking.suppress import UNUSED_CODE, UNUSED_SLUG, apply_suppressions
    from ganlint.session import Session

    opts = options or (session.options if session is not None else Options())
    if session is None:
        session = Session(list(paths), opts)
    sel = split_selectors(select) if select is not None else opts.select
    if sel is not None:
        sel = [*sel, *opts.extend_select]
    elif opts.extend_select:
        sel = ["ALL"]  # extend-select only matters with a narrower select; ALL already has everything
    ign = [*opts.ignore, *split_selectors(ignore)]
    thresholds: dict[str, dict[str, Any]] = {k: dict(v) for k, v in opts.rule_options.items()}
    for code, values in (rule_options or {}).items():
        thresholds.setdefault(code, {}).update(values)

    files, errors = discover(
        list(paths), [*opts.exclude, *(exclude or [])], root=opts.root, respect_gitignore=opts.respect_gitignore
    )
    errors: list[GanlintError] = list(errors)
    rules = choose_rules(sel, ign, opts.custom_rules)
    facts = ProjectFacts()
    findings: list[Finding] = []
    notes: list[GanlintError] = []
    groups = group_projects(list(paths), files)
    for group in groups:  # each project is read and checked on its own
        read = session.read(group)
        errors.extend(read.errors)
        notes.extend(read.notes)
        findings.extend(run_rules(read.facts, rules=rules, rule_options=thresholds, errors=errors))
        if len(groups) == 1:
            facts = read.facts
        else:
            facts.settings.extend(read.facts.settings)
            facts.code.merge(read.facts.code)
            facts.files.extend(read.facts.files)
            facts.texts.update(read.facts.texts)
    findings = _per_file_filter(findings, opts.per_file_ignores, opts.root)

    report_unused = opts.report_unused_suppressions if report_unused_suppressions is None else report_unused_suppressions
    report_unused = report_unused and not any(selector_matches(UNUSED_CODE, UNUSED_SLUG, p) for p in ign)
    all_known = list(registry.all_rules()) + list(opts.custom_rules)
    known = {r.code.lower() for r in all_known} | {r.slug for r in all_known} | {UNUSED_CODE.lower(), UNUSED_SLUG}
    enabled = {r.code.lower() for r in rules if not r.runtime} | {r.slug for r in rules if not r.runtime}
    findings = apply_suppressions(findings, facts.texts, report_unused=report_unused, enabled=enabled, known=known)
    if report_unused:
        findings = _per_file_filter(findings, opts.per_file_ignores, opts.root)
    findings.sort(key=Finding.sort_key)
    return CheckResult(findings=findings, errors=errors, notes=notes, facts=facts, files=facts.files, groups=groups)
