"""Inline suppressions (Python, YAML, TOML), file-level ignores, and GL900 unused-suppression."""
from __future__ import annotations

import pytest

from tests.cli.conftest import LINE, codes, write


def found(stdout: str) -> list[tuple[str, int, str]]:
    return sorted((m.group("file"), int(m.group("line")), m.group("code")) for m in LINE.finditer(stdout))


@pytest.mark.parametrize("comment,left", [
    ("# ganlint: ignore[GL098]", ["GL099"]),
    ("# ganlint: ignore[GL098,GL099]", []),
    ("# ganlint: ignore[GL098, fake-info]", []),
    ("# ganlint:ignore[gl099]", ["GL098"]),
    ("# ganlint: ignore", []),
    ("# noqa: GL098", ["GL099"]),
    ("# noqa:GL098,GL099", []),
    ("# noqa", []),
    ("# noqa: E501", ["GL098", "GL099"]),
    ("# ganlint: ignore[GL097]", ["GL098", "GL099"]),
    ("# type: ignore  # noqa: E501,GL099", ["GL098"]),
])
def test_python_line_suppressions(invoke, tmp_path, comment, left):
    write(tmp_path, {"m.py": f"x = 1  # FAKE_ERR FAKE_INFO {comment}\ny = 2  # FAKE_ERR\n"})
    r = invoke("check", "m.py")
    assert [c for f, line, c in found(r.stdout) if line == 1] == left
    assert ("m.py", 2, "GL098") in found(r.stdout), "other lines are not affected"


def test_suppression_marker_inside_a_string_is_not_a_comment(invoke, tmp_path):
    write(tmp_path, {"m.py": 'x = "# ganlint: ignore"  # FAKE_ERR\n'})
    assert codes(invoke("check", "m.py").stdout) == ["GL098"]


def test_yaml_and_toml_suppressions(invoke, tmp_path):
    write(tmp_path, {
        "c.yaml": "lr: 0.001  # FAKE_WARN  # ganlint: ignore[GL097]\nbatch: 16  # FAKE_WARN\n",
        "c.toml": "lr = 0.001  # FAKE_WARN  # ganlint: ignore[fake-warning]\n",
    })
    r = invoke("check", "c.yaml", "c.toml")
    assert found(r.stdout) == [("c.yaml", 2, "GL097")]


def test_file_level_ignore(invoke, tmp_path):
    write(tmp_path, {
        "a.py": "# ganlint: ignore-file\nx = 1  # FAKE_ERR\n",
        "b.py": "# ganlint: ignore-file[GL099]\nx = 1  # FAKE_ERR FAKE_INFO\n",
    })
    r = invoke("check", "a.py", "b.py")
    assert found(r.stdout) == [("b.py", 2, "GL098")]


def test_unused_suppressions_not_reported_by_default(invoke, tmp_path):
    write(tmp_path, {"m.py": "x = 1  # ganlint: ignore[GL098]\n"})
    r = invoke("check", "m.py")
    assert r.exit_code == 0 and codes(r.stdout) == []


def test_report_unused_suppressions(invoke, tmp_path):
    write(tmp_path, {
        "m.py": (
            "a = 1  # ganlint: ignore[GL098]\n"            # 1: unused
            "b = 1  # FAKE_ERR  # ganlint: ignore[GL098]\n"  # 2: used
            "c = 1  # FAKE_ERR  # ganlint: ignore[GL098,GL099]\n"  # 3: GL099 unused
            "d = 1  # ganlint: ignore\n"                    # 4: unused blanket
            "e = 1  # noqa\n"                               # 5: bare noqa: never reported
            "f = 1  # noqa: E501\n"                         # 6: another linter's
            "g = 1  # noqa: GL099\n"                        # 7: unused
            "h = 1  # ganlint: ignore[GL555]\n"             # 8: names no rule
        ),
        "c.yaml": "lr: 1  # ganlint: ignore[GL097]\n",
    })
    r = invoke("check", "--report-unused-suppressions", "m.py", "c.yaml")
    assert found(r.stdout) == [("c.yaml", 1, "GL900"), ("m.py", 1, "GL900"), ("m.py", 3, "GL900"),
                               ("m.py", 4, "GL900"), ("m.py", 7, "GL900"), ("m.py", 8, "GL900")]
    assert "m.py:3:20: GL900 [unused-suppression] unused suppression of GL099" in r.stdout
    assert r.exit_code == 1


def test_unused_suppression_of_a_rule_that_did_not_run_is_not_reported(invoke, tmp_path):
    write(tmp_path, {"m.py": "a = 1  # ganlint: ignore[GL098]\n"})
    r = invoke("check", "--report-unused-suppressions", "--select", "GL099", "m.py")
    assert codes(r.stdout) == []


def test_gl900_can_be_ignored_and_configured(invoke, tmp_path):
    write(tmp_path, {"m.py": "a = 1  # ganlint: ignore[GL098]\n"})
    r = invoke("check", "--report-unused-suppressions", "--ignore", "GL900", "m.py")
    assert codes(r.stdout) == []
    write(tmp_path, {"pyproject.toml": "[tool.ganlint]\nreport-unused-suppressions = true\n"})
    r = invoke("check", "m.py")
    assert codes(r.stdout) == ["GL900"]
    r = invoke("check", "--show-fixes", "m.py")
    assert "fix: remove the comment" in r.stdout


def test_suppression_applies_to_the_findings_end_line(invoke, tmp_path, fake_rules, monkeypatch):
    from ganlint.core.types import Location

    def multi(self, facts, opts):
        for path in facts.texts:
            yield self.finding("spans two lines", Location(path, 1, 1, 2, 5))

    monkeypatch.setattr(type(fake_rules[1]), "check", multi)
    write(tmp_path, {"m.py": "x = f(\n  1)  # noqa: GL098\n"})
    assert codes(invoke("check", "m.py").stdout) == []
