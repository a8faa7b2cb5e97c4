"""In-process plumbing tests: a temporary catalog of fake rules replaces the real one.

FAKE_ERR on a line -> GL098 fake-error (error, related location on line 1, a fix);
FAKE_WARN -> GL097 fake-warning (warning); FAKE_INFO -> GL099 fake-info (info).
GL097 has options {limit: 3, ratio: 0.5, name: "x", flag: false}: its message reports the options it got.
"""
from __future__ import annotations

import os
import re

import pytest
from typer.testing import CliRunner

from ganlint.checking import registry
from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Edit, Fix, Location, Severity


class _Fake(Rule):
    marker = ""

    def check(self, facts, opts):
        for path, text in facts.texts.items():
            for i, line in enumerate(text.splitlines(), 1):
                col = line.find(self.marker)
                if col >= 0:
                    yield self.finding(self.message(opts), Location(path, i, col + 1, i, col + 1 + len(self.marker)),
                                       **self.extra(path, i))

    def message(self, opts):
        return f"{self.marker} found"

    def extra(self, path, line):
        return {}


class FakeError(_Fake):
    code, slug, severity = "GL098", "fake-error", Severity.ERROR
    summary, why, use_instead, source = "a fake error", "because", "nothing", "test"
    marker = "FAKE_ERR"
    bad = [Example({"m.py": "x = 1  # FAKE_ERR  # expect\n"}, fixed=[("  # FAKE_ERR  # expect", "")])]
    good = [Example({"m.py": "x = 1\n"})]

    def extra(self, path, line):
        edit = Edit("set-setting", path, target="lr", old=0.001, new=0.0001, location=Location(path, line))
        return {"related": [Location(path, 1, 1)], "fix": Fix("set lr to 1e-4", [edit])}


class FakeWarning(_Fake):
    code, slug, severity = "GL097", "fake-warning", Severity.WARNING
    summary, why, use_instead, source = "a fake warning", "because", "nothing", "test"
    marker = "FAKE_WARN"
    options = {"limit": 3, "ratio": 0.5, "name": "x", "flag": False}
    option_docs = {"limit": "an int", "ratio": "a float"}

    def message(self, opts):
        return f"FAKE_WARN found limit={opts['limit']!r} ratio={opts['ratio']!r}"


class FakeInfo(_Fake):
    code, slug, severity = "GL099", "fake-info", Severity.INFO
    summary, why, use_instead, source = "a fake info", "because", "nothing", "test"
    marker = "FAKE_INFO"


FAKE_RULES = (FakeWarning(), FakeError(), FakeInfo())


@pytest.fixture
def fake_rules(monkeypatch):
    monkeypatch.setattr(registry, "all_rules", lambda: FAKE_RULES)
    return FAKE_RULES


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def invoke(runner, fake_rules, tmp_path, monkeypatch):
    """invoke(*args) runs `ganlint ...` in-process with cwd = tmp_path (a pyproject-free folder)."""
    from ganlint.cli import app

    monkeypatch.chdir(tmp_path)

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def write(root, files: dict[str, str]):
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text) if isinstance(text, str) else p.write_bytes(text)
    return root


LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>GL\d{3}) \[(?P<slug>[a-z0-9-]+)\] (?P<msg>.+)$", re.M)


def codes(stdout: str) -> list[str]:
    return [m.group("code") for m in LINE.finditer(stdout)]


@pytest.fixture
def project(tmp_path):
    write(tmp_path, {
        "model.py": "import torch.nn as nn\nact = nn.Sigmoid()  # FAKE_ERR\nh = 1  # FAKE_INFO\n",
        "config.yaml": "lr: 0.001  # FAKE_WARN\nbatch_size: 16\n",
    })
    return tmp_path
