"""[tool.ganlint] in pyproject.toml: discovery, every key, validation errors with file:line."""
from __future__ import annotations

import textwrap

import pytest

from tests.cli.conftest import LINE, codes, write


def pyproject(root, body: str):
    write(root, {"pyproject.toml": textwrap.dedent(body)})


def test_config_found_walking_up_from_cwd(invoke, project, monkeypatch):
    pyproject(project, """
        [project]
        name = "x"

        [tool.ganlint]
        ignore = ["GL099"]
    """)
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    r = invoke("check", "..")
    assert sorted(codes(r.stdout)) == ["GL097", "GL098"]


def test_pyproject_without_ganlint_table_is_skipped(invoke, project, tmp_path, monkeypatch):
    pyproject(project, """
        [tool.ganlint]
        select = ["GL098"]
    """)
    (project / "inner").mkdir()
    write(project / "inner", {"pyproject.toml": "[project]\nname = 'inner'\n"})
    monkeypatch.chdir(project / "inner")
    r = invoke("check", "../model.py")
    assert codes(r.stdout) == ["GL098"]


def test_explicit_config_option(invoke, project):
    write(project, {"conf/custom.toml": '[tool.ganlint]\nselect = ["GL099"]\nfail-on = "error"\n'})
    r = invoke("check", "--config", "conf/custom.toml", "model.py")
    assert codes(r.stdout) == ["GL099"]
    assert r.exit_code == 0  # fail-on = error, only an info finding


def test_missing_config_file_is_exit_2(invoke, project):
    r = invoke("check", "--config", "nope.toml", ".")
    assert r.exit_code == 2
    assert r.stderr == "nope.toml: error: configuration file not found\n"


def test_cli_fail_on_overrides_config(invoke, project):
    pyproject(project, '[tool.ganlint]\nfail-on = "error"\n')
    assert invoke("check", "config.yaml").exit_code == 0
    assert invoke("check", "--fail-on", "warning", "config.yaml").exit_code == 1


def test_cli_select_replaces_config_select_and_ignore_extends(invoke, project):
    pyproject(project, '[tool.ganlint]\nselect = ["GL098"]\nignore = ["GL097"]\n')
    assert codes(invoke("check", ".").stdout) == ["GL098"]
    assert sorted(codes(invoke("check", "--select", "GL09", ".").stdout)) == ["GL098", "GL099"]
    assert codes(invoke("check", "--ignore", "GL098", ".").stdout) == []


def test_extend_select_and_extend_ignore(invoke, project):
    pyproject(project, '[tool.ganlint]\nselect = ["GL098"]\nextend-select = ["GL099"]\nextend-ignore = ["GL098"]\n')
    assert codes(invoke("check", ".").stdout) == ["GL099"]


def test_rule_options_reach_the_rule(invoke, project):
    pyproject(project, """
        [tool.ganlint.rules.GL097]
        limit = 7
        ratio = 1        # an int is accepted for a float option
    """)
    r = invoke("check", "config.yaml")
    assert "limit=7 ratio=1.0" in r.stdout


def test_rule_options_by_slug_and_inline_table(invoke, project):
    pyproject(project, '[tool.ganlint]\nrules = { fake-warning = { limit = 9 } }\n')
    assert "limit=9 ratio=0.5" in invoke("check", "config.yaml").stdout


@pytest.mark.parametrize("body,line,message", [
    ('[tool.ganlint]\nselekt = ["GL1"]\n', 2, "unknown key 'selekt' in [tool.ganlint]"),
    ('[tool.ganlint]\nfail_on = "error"\n', 2, "did you mean 'fail-on'?"),
    ('[tool.ganlint]\nselect = ["GL555"]\n', 2, "unknown rule 'GL555' in tool.ganlint.select"),
    ('[tool.ganlint]\nselect = "GL1"\nignore = [1]\n', 3, "tool.ganlint.ignore must be a list of strings"),
    ('[tool.ganlint]\nfail-on = "fatal"\n', 2, 'fail-on must be "error", "warning" or "info"'),
    ('[tool.ganlint]\n\n[tool.ganlint.rules.GL555]\nx = 1\n', 3, "unknown rule 'GL555' in [tool.ganlint.rules]"),
    ('[tool.ganlint.rules.GL097]\nlimit = 3\nmax_lr = 1e-4\n', 3, "GL097 has no option 'max_lr' (options: flag, limit, name, ratio)"),
    ('[tool.ganlint.rules.GL097]\nlimit = "three"\n', 2, "GL097.limit must be an integer, not 'three'"),
    ('[tool.ganlint.rules.GL097]\nratio = "x"\n', 2, "GL097.ratio must be a number"),
    ('[tool.ganlint.rules.GL097]\nflag = 1\n', 2, "GL097.flag must be true or false"),
    ('[tool.ganlint.rules.GL097]\nname = 3\n', 2, "GL097.name must be a string"),
    ('[tool.ganlint]\nper-file-ignores = { "tests/*" = ["NOPE!"] }\n', 2, "invalid rule selector 'NOPE!'"),
    ('[tool.ganlint]\nrespect-gitignore = "yes"\n', 2, "respect-gitignore must be true or false"),
    ('[tool.ganlint]\nselect = [\n', 2, "invalid TOML"),
    ('[tool.ganlint]\nselect = [1 2]\n', 2, "invalid TOML"),
    ('[tool.ganlint.custom-rules.GL100]\nsetting = "learning_rate"\n', 1, "custom rule code 'GL100' must be GL901..GL999"),
])
def test_bad_configuration_is_one_line_with_file_and_line(invoke, project, body, line, message):
    pyproject(project, body)
    r = invoke("check", ".")
    assert r.exit_code == 2, r.output
    err = r.stderr.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"pyproject.toml:{line}: error: "), err[0]
    assert message in err[0]
    assert r.stdout == ""


def test_per_file_ignores(invoke, project):
    write(project, {"tests/test_m.py": "# FAKE_ERR\n# FAKE_INFO\n"})
    pyproject(project, """
        [tool.ganlint.per-file-ignores]
        "tests/**" = ["GL098"]
        "*.yaml" = ["ALL"]
        "model.py" = ["fake-info"]
    """)
    r = invoke("check", ".")
    found = sorted((m.group("file"), m.group("code")) for m in LINE.finditer(r.stdout))
    assert found == [("model.py", "GL098"), ("tests/test_m.py", "GL099")]


def test_exclude_and_gitignore_for_directories_only(invoke, project):
    write(project, {
        "legacy/old.py": "# FAKE_ERR\n",
        "data/big.json": '{"x": 1}\n',
        "runs/out.py": "# FAKE_ERR\n",
        "keep/a.py": "# FAKE_INFO\n",
        ".gitignore": "runs/\n",
        ".venv/lib/x.py": "# FAKE_ERR\n",
    })
    (project / ".git").mkdir()
    pyproject(project, '[tool.ganlint]\nexclude = ["legacy/", "*.json"]\nselect = ["GL098", "GL099"]\n')
    r = invoke("check", ".")
    files = sorted({line.split(":")[0] for line in r.stdout.splitlines() if ": GL" in line})
    assert files == ["keep/a.py", "model.py"]
    assert r.stdout.splitlines()[-1].endswith("in 4 files.")  # model.py, config.yaml, keep/a.py, pyproject.toml
    # explicit files are always checked
    r = invoke("check", "legacy/old.py", "runs/out.py")
    assert codes(r.stdout) == ["GL098", "GL098"]


def test_respect_gitignore_false(invoke, project):
    write(project, {"runs/out.py": "# FAKE_ERR\n", ".gitignore": "runs/\n"})
    (project / ".git").mkdir()
    pyproject(project, '[tool.ganlint]\nrespect-gitignore = false\nselect = ["GL098"]\n')
    r = invoke("check", ".")
    assert "runs/out.py:1:3: GL098" in r.stdout


def test_model_and_config_entries_exposed_by_load_options(project, fake_rules):
    from ganlint.checking.options import load_options

    pyproject(project, '[tool.ganlint]\nmodel = "src/model.py"\nconfig = ["conf/a.yaml", "conf/b.yaml"]\n')
    opts = load_options(str(project / "pyproject.toml"))
    assert opts.model == str(project / "src" / "model.py")
    assert opts.config == [str(project / "conf" / "a.yaml"), str(project / "conf" / "b.yaml")]
    assert opts.root == str(project)
    opts = load_options(cwd=str(project))
    assert opts.source == str(project / "pyproject.toml")


def test_custom_rules_are_wired_when_declarative_exists(invoke, project, monkeypatch):
    """[tool.ganlint.custom-rules.GL9xx] -> ganlint.checking.declarative.rule_from_table(code, table)."""
    import sys
    import types

    from ganlint.checking.rule import Rule
    from ganlint.core.types import Location, Severity

    seen = {}

    def rule_from_table(code, table):
        seen[code] = table

        class Custom(Rule):
            slug, severity = table.get("slug", "custom"), Severity.WARNING
            summary = why = use_instead = source = "custom"

            def check(self, facts, opts):
                yield self.finding("custom rule fired", Location("config.yaml", 2))

        Custom.code = code
        return Custom()

    mod = types.ModuleType("ganlint.checking.declarative")
    mod.rule_from_table = rule_from_table
    monkeypatch.setitem(sys.modules, "ganlint.checking.declarative", mod)
    pyproject(project, """
        [tool.ganlint]
        select = ["GL9"]

        [tool.ganlint.custom-rules.GL901]
        slug = "my-batch"
        setting = "batch_size"
        min = 32
    """)
    r = invoke("check", ".")
    assert seen["GL901"]["min"] == 32
    assert "config.yaml:2:1: GL901 [my-batch] custom rule fired" in r.stdout
    assert r.exit_code == 1
    r = invoke("check", "--ignore", "my-batch", ".")
    assert r.exit_code == 0


def test_real_declarative_custom_rule(invoke, tmp_path):
    write(tmp_path, {"config.yaml": "batch_size: 512\nlr: 0.001\n"})
    pyproject(tmp_path, """
        [tool.ganlint.custom-rules.GL901]
        slug = "batch-large"
        setting = "batch_size"
        max = 256
        proposed = 128
    """)
    r = invoke("check", "--select", "GL901", "config.yaml")
    assert [(m.group("file"), m.group("line"), m.group("code"), m.group("slug")) for m in LINE.finditer(r.stdout)] == [
        ("config.yaml", "1", "GL901", "batch-large")]
    assert r.exit_code == 1
    pyproject(tmp_path, """
        [tool.ganlint.custom-rules.GL901]
        slug = "batch-large"
        setting = "batch_size"
        maximum = 256
    """)
    r = invoke("check", "config.yaml")
    assert r.exit_code == 2
    assert r.stderr.startswith("pyproject.toml:2: error: [tool.ganlint.custom-rules.GL901]: ")
    assert "maximum" in r.stderr


def test_ganlints_own_table_is_not_read_as_training_settings(fake_rules, tmp_path, monkeypatch):
    from ganlint.checking.runner import check_paths

    monkeypatch.chdir(tmp_path)
    pyproject(tmp_path, """
        [tool.ganlint.rules.GL097]
        limit = 3

        [tool.trainer]
        lr = 0.001
    """)
    result = check_paths(["pyproject.toml"])
    keys = [s.key for s in result.facts.settings]
    assert not [k for k in keys if k.startswith("tool.ganlint")], keys
    assert "tool.trainer.lr" in keys
