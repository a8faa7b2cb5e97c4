"""Every rule's examples are its tests (Fixit/Semgrep style).

A bad example marks each line the rule must report with a trailing `# expect`; the rule must report
exactly those lines, no more, no fewer. A good example must produce no finding of that rule.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ganlint.checking.registry import all_rules
from ganlint.checking.runner import check_paths

STATIC = [r for r in all_rules() if not r.runtime]
EXPECT = re.compile(r"#\s*expect\b")


def _write(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _expected_lines(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int]]:
    out = set()
    for name, text in files.items():
        for i, line in enumerate(text.splitlines(), 1):
            if EXPECT.search(line):
                out.add((str(tmp_path / name), i))
    return out


def _cases(kind: str):
    for rule in STATIC:
        for i, ex in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, ex, id=f"{rule.code}-{kind}{i}")


@pytest.mark.parametrize("rule,example", list(_cases("bad")))
def test_bad_example_fires_on_marked_lines(tmp_path, rule, example):
    _write(tmp_path, example.files)
    expected = _expected_lines(tmp_path, example.files)
    assert expected, f"{rule.code}: bad example has no '# expect' marker"
    result = check_paths([str(tmp_path)], select=[rule.code])
    assert not result.errors, [str(e) for e in result.errors]
    got = {(f.location.file, f.location.line) for f in result.findings if f.code == rule.code}
    assert got == expected, f"{rule.code} {example.note}: reported {sorted(got)}, expected {sorted(expected)}"


@pytest.mark.parametrize("rule,example", list(_cases("good")))
def test_good_example_stays_silent(tmp_path, rule, example):
    _write(tmp_path, example.files)
    result = check_paths([str(tmp_path)], select=[rule.code])
    assert not result.errors, [str(e) for e in result.errors]
    got = [f"{f.location}: {f.message}" for f in result.findings if f.code == rule.code]
    assert not got, f"{rule.code} {example.note}: false positive {got}"


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.code)
def test_every_static_rule_has_examples_and_docs(rule):
    assert rule.bad, f"{rule.code} has no bad example"
    assert rule.good, f"{rule.code} has no good example"
    for attr in ("summary", "why", "use_instead", "source"):
        assert getattr(rule, attr, "").strip(), f"{rule.code} lacks {attr}"
    assert re.fullmatch(r"GL\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.slug)


# -- fixes: every bad example carries its fixed text ----------------------------------------------------
def _fix_example(tmp_path: Path, rule, files: dict[str, str]) -> dict[str, str]:
    """The example's files after `ganlint fix` of this rule (all stages, unsafe fixes too), nothing written."""
    from ganlint.checking.options import Options
    from ganlint.fix import apply_plan, input_files
    from ganlint.fix.planner import make_plan

    plan = make_plan(input_files([str(tmp_path)]), select=[rule.code], unsafe=True, options=Options(root=str(tmp_path)))
    new = apply_plan(plan).new_texts
    return {name: new.get(str(tmp_path / name), text) for name, text in files.items()}


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.code)
def test_every_rule_with_a_fix_shows_each_bad_example_fixed(rule):
    from ganlint.checking.rule import FIX_SAFETY_LEVELS

    assert rule.fix_safety in FIX_SAFETY_LEVELS, f"{rule.code}: fix_safety must be one of {FIX_SAFETY_LEVELS}"
    if rule.fix_safety != "display-only":
        missing = [ex.note for ex in rule.bad if ex.fixed is None]
        assert not missing, f"{rule.code}: bad examples without their fixed text: {missing}"
    assert rule.docs()["fix_safety"].startswith(rule.fix_safety)


def _fixed_cases():
    for rule in STATIC:
        for i, ex in enumerate(rule.bad):
            if ex.fixed is not None:
                yield pytest.param(rule, ex, id=f"{rule.code}-bad{i}")


@pytest.mark.parametrize("rule,example", list(_fixed_cases()))
def test_fix_of_bad_example_is_the_declared_text_silent_and_idempotent(tmp_path, monkeypatch, rule, example):
    _write(tmp_path, example.files)
    monkeypatch.chdir(tmp_path)
    expected = example.fixed_files()
    got = _fix_example(tmp_path, rule, example.files)
    assert got == expected, f"{rule.code} {example.note}: the fix's result differs from the declared one"
    if got == example.files:
        return  # the fix refuses (display-only): nothing to re-check
    _write(tmp_path, got)
    left = [f"{f.location}: {f.message}" for f in check_paths([str(tmp_path)], select=[rule.code]).findings]
    assert not left, f"{rule.code} {example.note}: still reported after the fix: {left}"
    assert _fix_example(tmp_path, rule, got) == got, f"{rule.code} {example.note}: fixing again changes the files"


def test_rule_docs_show_the_bad_example_fixed():
    from ganlint.checking.registry import rule_by_code

    docs = rule_by_code("GL104").docs()
    (fixed,) = docs["example_fixed"]
    assert fixed["config.yaml"] == docs["example_bad"][0]["config.yaml"].replace("0.001  #", "0.0001 #")
    assert rule_by_code("GL003").docs()["fix_safety"].startswith("display-only")
