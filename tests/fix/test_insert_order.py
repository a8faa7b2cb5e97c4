"""Insertions located by line survive earlier stages that moved the lines (anchored on the line's text)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ganlint.core.types import Edit, Location
from ganlint.fix.edits.base import EditError
from ganlint.fix.edits.code import apply_text_edits

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_energy_fix_orders_clip_step_and_warmup(tmp_path, ganlint_cmd):
    proj = tmp_path / "energy"
    shutil.copytree(FIXTURES / "energy_004_broken", proj)
    run = subprocess.run([*ganlint_cmd, "fix", str(proj)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = [ln.strip() for ln in (proj / "model.fixed.py").read_text().splitlines()]
    backward = lines.index("loss.backward()")
    clip = next(i for i, ln in enumerate(lines) if ln.startswith("torch.nn.utils.clip_grad_norm_("))
    step = lines.index("opt.step()")
    warm = lines.index("opt_warmup.step()")
    # PyTorch wants scheduler.step() after optimizer.step(); clipping goes between backward and step
    assert backward < clip < step < warm


def test_insert_follows_its_anchor_when_lines_moved():
    text = "def f(opt, loss):\n    loss.backward()\n    extra()\n    opt.step()\n"
    # located against a text in which opt.step() was line 3; an earlier fix inserted extra() above it
    edit = Edit("insert-code", "m.py", old="opt.step()", new="sched.step()", location=Location("m.py", 3, 1))
    out = apply_text_edits("m.py", text, [edit])
    assert out.splitlines()[-1] == "    sched.step()"
    assert out.splitlines()[-2] == "    opt.step()"


def test_insert_with_a_vanished_anchor_is_an_error_not_a_guess():
    text = "def f(loss):\n    loss.backward()\n"
    edit = Edit("insert-code", "m.py", old="opt.step()", new="sched.step()", location=Location("m.py", 2, 1))
    with pytest.raises(EditError):
        apply_text_edits("m.py", text, [edit])
