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
