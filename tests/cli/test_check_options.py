"""`ganlint check`: text output, exit codes and every option, on a temporary catalog of fake rules."""
from __future__ import annotations

import os

import pytest

from tests.cli.conftest import LINE, codes, write


def test_text_format_lines_related_and_summary(invoke, project):
    r = invoke("check", "model.py", "config.yaml")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert "config.yaml:1:14: GL097 [fake-warning] FAKE_WARN found limit=3 ratio=0.5" in lines
    i = lines.index("model.py:2:23: GL098 [fake-error] FAKE_ERR found")
    assert lines[i + 1] == "    model.py:1:1: related location"
    assert "model.py:3:10: GL099 [fake-info] FAKE_INFO found" in lines
    assert lines[-1] == "Found 3 problems (1 error, 1 warning, 1 info) in 2 files."


def test_clean_files_exit_zero(invoke, tmp_path):
    write(tmp_path, {"a.py": "x = 1\n"})
    r = invoke("check", "a.py")
    assert r.exit_code == 0, r.output
    assert r.stdout == "All checks passed in 1 file.\n"


def test_default_path_is_current_directory(invoke, project):
    r = invoke("check")
    assert r.exit_code == 1
    assert sorted(codes(r.stdout)) == ["GL097", "GL098", "GL099"]


def test_exit_zero(invoke, project):
    r = invoke("check", "--exit-zero", ".")
    assert r.exit_code == 0 and len(codes(r.stdout)) == 3


@pytest.mark.parametrize("level,files,expected", [
    ("error", {"a.py": "# FAKE_WARN\n# FAKE_INFO\n"}, 0),
    ("error", {"a.py": "# FAKE_ERR\n"}, 1),
    ("warning", {"a.py": "# FAKE_INFO\n"}, 0),
    ("warning", {"a.py": "# FAKE_WARN\n"}, 1),
    ("info", {"a.py": "# FAKE_INFO\n"}, 1),
    ("WARNING", {"a.py": "# FAKE_ERR\n"}, 1),
])
def test_fail_on(invoke, tmp_path, level, files, expected):
    write(tmp_path, files)
    r = invoke("check", "--fail-on", level, "a.py")
    assert r.exit_code == expected, r.output
    assert codes(r.stdout), "findings below --fail-on are still printed"


def test_fail_on_bad_value_is_usage_error(invoke, project):
    r = invoke("check", "--fail-on", "fatal", ".")
    assert r.exit_code == 2
    assert "fail-on" in r.output


@pytest.mark.parametrize("args,expected", [
    (["--select", "GL098"], ["GL098"]),
    (["--select", "GL098,GL099"], ["GL098", "GL099"]),
    (["--select", "GL098", "--select", "fake-info"], ["GL098", "GL099"]),
    (["--select", "GL09"], ["GL097", "GL098", "GL099"]),
    (["--select", "ALL", "--ignore", "GL098"], ["GL097", "GL099"]),
    (["--ignore", "fake-warning,GL099"], ["GL098"]),
    (["--select", "GL098", "--ignore", "GL0"], ["GL098"]),  # the more specific selector wins
    (["--select", "GL0", "--ignore", "GL098"], ["GL097", "GL099"]),
    (["--ignore", "ALL"], []),
    (["--select", "gl098"], ["GL098"]),
])
def test_select_and_ignore(invoke, project, args, expected):
    r = invoke("check", *args, ".")
    assert sorted(set(codes(r.stdout))) == expected
    assert r.exit_code == (1 if expected else 0)


@pytest.mark.parametrize("bad", ["GL555", "no-such-rule", "GL*", "X1"])
def test_unknown_selector_is_usage_error(invoke, project, bad):
    r = invoke("check", "--select", bad, ".")
    assert r.exit_code == 2
    assert bad in r.output and "Traceback" not in r.output


def test_unknown_format_is_usage_error(invoke, project):
    r = invoke("check", "--format", "xml", ".")
    assert r.exit_code == 2


def test_unknown_option_is_usage_error(invoke, project):
    r = invoke("check", "--no-such-option", ".")
    assert r.exit_code == 2


def test_output_file_is_written_atomically(invoke, project):
    os.makedirs("out")
    r = invoke("check", "--format", "json", "--output", "out/report.json", ".")
    assert r.exit_code == 1
    assert r.stdout == ""
    import json

    doc = json.loads((project / "out" / "report.json").read_text())
    assert doc["summary"]["findings"] == 3
    assert os.listdir(project / "out") == ["report.json"], "no temporary file left behind"
    r = invoke("check", "--output", "out/report.json", "model.py")  # replaces the old report
    assert "GL098" in (project / "out" / "report.json").read_text()
    assert "GL097" not in (project / "out" / "report.json").read_text()


def test_output_into_missing_folder_is_one_line_exit_2(invoke, project):
    r = invoke("check", "--output", "missing/dir/report.txt", ".")
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert r.stderr == "missing/dir/report.txt: error: cannot write the report: No such file or directory\n"


def test_show_fixes(invoke, project):
    r = invoke("check", "--show-fixes", "model.py")
    out = r.stdout
    assert "    fix: set lr to 1e-4" in out
    assert "      set-setting lr: 0.001 -> 0.0001 (model.py:2:1)" in out
    assert "    fix: none proposed" in out  # the info finding proposes nothing


def test_statistics(invoke, tmp_path):
    write(tmp_path, {"a.py": "# FAKE_ERR\n# FAKE_ERR\n# FAKE_INFO\n"})
    r = invoke("check", "--statistics", "a.py")
    lines = r.stdout.splitlines()
    assert lines[0] == "2  GL098  [fake-error]  error"
    assert lines[1] == "1  GL099  [fake-info]  info"
    assert not LINE.search(r.stdout)
    assert lines[-1].startswith("Found 3 problems")
    assert r.exit_code == 1


def test_unreadable_file_one_line_others_checked(invoke, tmp_path):
    write(tmp_path, {"good.py": "# FAKE_ERR\n", "bad.py": "def f(:\n    pass\n"})
    r = invoke("check", "good.py", "bad.py", "missing.yaml")
    assert r.exit_code == 2
    assert "good.py:1:3: GL098" in r.stdout
    err = sorted(r.stderr.splitlines())
    assert len(err) == 2, err
    assert err[0].startswith("bad.py:1: error: syntax error"), err
    assert err[1] == "missing.yaml: error: no such file or directory"


def test_exit_zero_still_exits_2_on_unreadable_input(invoke, tmp_path):
    write(tmp_path, {"bad.py": "def f(:\n"})
    assert invoke("check", "--exit-zero", "bad.py").exit_code == 2


def test_rule_crash_is_one_line_and_exit_2(invoke, project, monkeypatch, fake_rules):
    def boom(self, facts, opts):
        raise ZeroDivisionError("division by zero")
        yield

    monkeypatch.setattr(type(fake_rules[0]), "check", boom)
    r = invoke("check", ".")
    assert r.exit_code == 2
    assert "error: internal error in rule GL097: ZeroDivisionError: division by zero" in r.stderr
    assert "GL098" in r.stdout, "the other rules still ran"


def test_unexpected_exception_is_one_line_exit_2(invoke, project, monkeypatch):
    import ganlint.checking.runner as runner

    def boom(*a, **k):
        raise RuntimeError("kaboom\nsecond line")

    monkeypatch.setattr(runner, "check_paths", boom)
    r = invoke("check", ".")
    assert r.exit_code == 2
    assert r.stderr == "ganlint: internal error: RuntimeError: kaboom\n"
    assert "Traceback" not in r.output


def test_main_wrapper_turns_exceptions_into_one_line(monkeypatch, capsys):
    import ganlint.cli as cli

    def boom():
        raise ValueError("bad")

    monkeypatch.setattr(cli, "app", boom)
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    assert capsys.readouterr().err == "ganlint: internal error: ValueError: bad\n"


def test_ganlint_debug_shows_the_traceback(invoke, project, monkeypatch):
    import ganlint.checking.runner as runner

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(runner, "check_paths", boom)
    monkeypatch.setenv("GANLINT_DEBUG", "1")
    with pytest.raises(RuntimeError):
        invoke("check", ".")


def test_exclude_option(invoke, project):
    write(project, {"legacy/old.py": "# FAKE_ERR\n", "gen/a.py": "# FAKE_ERR\n"})
    r = invoke("check", "--select", "GL098", "--exclude", "legacy/", "--exclude", "gen,nothing", ".")
    assert [m.group("file") for m in LINE.finditer(r.stdout)] == ["model.py"]
    r = invoke("check", "--select", "GL098", "--exclude", "legacy/", "legacy/old.py")  # explicit files: always
    assert codes(r.stdout) == ["GL098"]
