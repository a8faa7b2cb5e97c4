"""Code-fact rules on the documents' fixtures: messages carry the numbers, and code edits splice into
source that still parses (the edits are data; ganlint.fix applies them)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ganlint.checking.runner import check_paths

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CODE_RULES = ["GL001", "GL002", "GL101", "GL102", "GL110", "GL111", "GL112", "GL115", "GL201", "GL202", "GL205",
              "GL301", "GL303", "GL304"]


def _splice(text: str, edits) -> str:
    lines = text.splitlines(keepends=True)

    def off(line, col):
        return sum(len(x) for x in lines[: line - 1]) + col - 1

    spans = []
    for e in edits:
        loc = e.location
        if e.kind == "replace-code":
            a, b = off(loc.line, loc.column), off(loc.end_line, loc.end_column)
            assert text[a:b] == e.old, (text[a:b], e.old)
            spans.append((a, b, e.new))
        elif e.kind == "insert-code":
            cur = lines[loc.line - 1]
            indent = cur[: len(cur) - len(cur.lstrip())]
            at = off(loc.line + 1, 1)
            spans.append((at, at, indent + e.new + "\n"))
    for a, b, new in sorted(spans, reverse=True):
        text = text[:a] + new + text[b:]
    return text


@pytest.mark.parametrize("fixture", ["wgan_gp_000_broken", "gan_002_broken", "vae_003_broken", "energy_004_broken"])
def test_code_edits_apply_and_parse(fixture):
    result = check_paths([str(FIXTURES / fixture)], select=CODE_RULES)
    assert result.findings
    by_file: dict[str, list] = {}
    for f in result.findings:
        assert f.fix is not None, f.code
        for e in f.fix.edits:
            if e.kind in ("replace-code", "insert-code"):
                by_file.setdefault(e.file, []).append(e)
    for path, edits in by_file.items():
        text = Path(path).read_text()
        seen, unique = set(), []
        for e in edits:  # several findings may propose the same edit
            key = (e.kind, e.location, e.new)
            if key not in seen:
                seen.add(key)
                unique.append(e)
        new = _splice(text, unique)
        assert new != text
        ast.parse(new)


def test_messages_and_fix_values_on_fixtures():
    by = {}
    for d in ("wgan_gp_000_broken", "gan_002_broken", "vae_003_broken", "energy_004_broken"):
        for f in check_paths([str(FIXTURES / d)], select=CODE_RULES).findings:
            by.setdefault(f.code, []).append(f)
    (gl001,) = by["GL001"]
    assert gl001.location.file.endswith("config.yaml") and gl001.location.line == 3
    assert gl001.fix.edits[0].kind == "set-setting" and gl001.fix.edits[0].new == "LeakyReLU"
    assert {Path(r.file).name for r in gl001.related} == {"model.py", "train.py"}
    (gl102,) = by["GL102"]
    assert gl102.fix.edits[0].target == "nn_disc" and gl102.fix.edits[0].new == [256, 256]
    (gl301,) = by["GL301"]
    assert "2.25" in gl301.message
    assert gl301.fix.edits[0].new == "self.act(raw * 0.5) * 2.0 + 0.1"
    assert sorted(f.location.line for f in by["GL205"]) == [38, 53]
    assert [e.kind for e in by["GL002"][0].fix.edits] == ["remove-setting", "replace-code"]
    assert "betas=(0.5, 0.999)" in by["GL002"][0].fix.edits[1].new
    wgan_betas = [f for f in by["GL112"] if "wgan" in f.location.file]
    assert all("(0.5, 0.9)" in f.message for f in wgan_betas) and len(wgan_betas) == 2
    assert by["GL115"][0].fix.edits[0].new == "D(fake.detach())"
