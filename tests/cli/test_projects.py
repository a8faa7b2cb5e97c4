"""Which files are analysed together: group_projects and its effect on a real cross-file rule."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ganlint.reading.discovery import discover, group_projects
from tests.cli.conftest import write

ROOT = Path(__file__).resolve().parents[2]


def _groups(tmp_path, files: dict[str, str], *args: str) -> list[list[str]]:
    write(tmp_path, files)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        found, errors = discover(list(args))
        assert not errors
        return [sorted(g) for g in group_projects(list(args), found)]
    finally:
        os.chdir(cwd)


def test_folder_of_experiments_is_split(tmp_path):
    files = {"exps/a/model.py": "", "exps/a/c.yaml": "", "exps/b/model.py": "", "exps/b/sub/c.yaml": "",
             "exps/README.md": "x"}
    assert _groups(tmp_path, files, "exps") == [["exps/a/c.yaml", "exps/a/model.py"],
                                                 ["exps/b/model.py", "exps/b/sub/c.yaml"]]


def test_folder_with_files_of_its_own_is_one_project(tmp_path):
    files = {"repo/pyproject.toml": "", "repo/src/pkg/model.py": "", "repo/conf/c.yaml": ""}
    assert _groups(tmp_path, files, "repo") == [["repo/conf/c.yaml", "repo/pyproject.toml", "repo/src/pkg/model.py"]]


def test_several_arguments_are_one_project(tmp_path):
    files = {"src/pkg/model.py": "", "conf/c.yaml": ""}
    assert _groups(tmp_path, files, "src", "conf") == [["conf/c.yaml", "src/pkg/model.py"]]
    assert _groups(tmp_path, files, "src/pkg/model.py", "conf/c.yaml") == [["conf/c.yaml", "src/pkg/model.py"]]


def test_descends_through_single_folders(tmp_path):
    files = {"top/only/deep/model.py": "", "top/only/deep/c.yaml": ""}
    assert _groups(tmp_path, files, "top") == [["top/only/deep/c.yaml", "top/only/deep/model.py"]]


def test_fixtures_folder_gives_each_fixture_its_own_codes(clean_env, tmp_path):
    """`ganlint check fixtures` (the README's main command) = the union of each fixture checked alone."""
    import json
    import tomllib

    exe = Path(sys.executable).with_name("ganlint")
    proc = subprocess.run([str(exe), "check", "--format", "json", str(ROOT / "fixtures")], capture_output=True,
                          text=True, env=clean_env, cwd=tmp_path, timeout=120)
    report = json.loads(proc.stdout)
    assert report["errors"] == []
    got: dict[str, set[str]] = {}
    for f in report["findings"]:
        got.setdefault(Path(f["file"]).parent.name, set()).add(f["code"])
    for folder in sorted((ROOT / "fixtures").iterdir()):
        if (folder / "expected.toml").exists():
            expected = set(tomllib.loads((folder / "expected.toml").read_text())["check"])
            assert got.get(folder.name, set()) == expected, folder.name


def test_gitignore_of_ancestors_and_nested_folders(tmp_path):
    write(tmp_path, {
        ".gitignore": "*.gen.py\n/top-only.py\n",
        "pkg/.gitignore": "outputs/\n!keep.gen.py\n",
        "pkg/model.py": "", "pkg/x.gen.py": "", "pkg/keep.gen.py": "", "pkg/outputs/run.yaml": "",
        "pkg/top-only.py": "", "top-only.py": "",
    })
    (tmp_path / ".git").mkdir()
    cwd = os.getcwd()
    os.chdir(tmp_path / "pkg")
    try:
        found, _ = discover(["."])
    finally:
        os.chdir(cwd)
    assert sorted(found) == ["keep.gen.py", "model.py", "top-only.py"]  # "/top-only.py" anchors at the root


def test_explicit_missing_and_special_paths(tmp_path):
    found, errors = discover([str(tmp_path / "nope.py")])
    assert found == [] and [e.message for e in errors] == ["no such file or directory"]
    os.mkfifo(tmp_path / "fifo.yaml")
    found, errors = discover([str(tmp_path / "fifo.yaml")])
    assert found == [] and "not a regular file" in errors[0].message


def test_duplicates_are_checked_once(tmp_path):
    write(tmp_path, {"a/m.py": ""})
    found, _ = discover([str(tmp_path / "a"), str(tmp_path / "a" / "m.py"), str(tmp_path / "a" / ".." / "a")])
    assert len(found) == 1
