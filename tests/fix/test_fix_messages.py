"""What `ganlint fix` prints about fixes it cannot apply stays short whatever the input's size: a width list a
fix proposes is quoted by its first widths and its count, and fixes failing for one reason (a file too large
to edit) share one line per file with their count. Real subprocesses of the CLI on files written here."""
import subprocess
import sys
from pathlib import Path

GANLINT = str(Path(sys.executable).with_name("ganlint"))


def _fix(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([GANLINT, "fix", "--diff", "."], cwd=cwd, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL)


def test_a_long_proposed_width_list_is_quoted_by_its_head_and_count(tmp_path):
    widths = ", ".join(["256"] * 3000)  # 15,000 characters: over what a setting edit writes
    (tmp_path / "config.yaml").write_text(f"grad_penalty: 10\nnn_gen: [{widths}]\nnn_disc: [32, 128]\n")
    res = _fix(tmp_path)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if "not applied" in ln]
    assert len(lines) == 1 and "GL102" in lines[0], res.stdout + res.stderr
    assert "[256, 256, 256, 256, 256, 256, 256, 256, ... (3,000 widths)]" in lines[0]
    assert len(lines[0]) < 400
    assert (tmp_path / "config.yaml").read_text().count("256") == 3000  # nothing written


def test_a_short_width_list_is_quoted_whole(tmp_path):
    (tmp_path / "config.yaml").write_text("grad_penalty: 10\nnn_gen: [256, 256]\nnn_disc: [32, 128]\n")
    res = subprocess.run([GANLINT, "check", "."], cwd=tmp_path, capture_output=True, text=True, timeout=240,
                         stdin=subprocess.DEVNULL)
    assert "nn_disc = [32, 128] are weaker than the generator's nn_gen = [256, 256]" in res.stdout, res.stdout


_SCRIPT = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))


G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4)
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4)
"""


def test_fixes_of_a_file_too_large_to_edit_share_one_line(tmp_path):
    from ganlint.fix.edits.code.engine import MAX_EDIT_CHARS

    # the script, then a long block of notes: over the textual edits' budget, two GL112 fixes in it
    notes = "".join(f"# run {i}: lr 2e-4, batch 64, loss curves in logs/{i}.csv\n" for i in range(6000))
    (tmp_path / "train.py").write_text(_SCRIPT + notes)
    small = tmp_path / "small"
    small.mkdir()
    (small / "other.py").write_text(_SCRIPT)
    assert (tmp_path / "train.py").stat().st_size > MAX_EDIT_CHARS
    res = _fix(tmp_path)
    out = res.stdout + res.stderr
    lines = [ln for ln in out.splitlines() if "not applied" in ln]
    assert len(lines) == 1, out
    assert lines[0].startswith("  not applied: 2 fixes (GL112): ") and "train.py" in lines[0], lines[0]
    assert "too large" in lines[0]
    assert "other.py" in out  # the small file's fixes still apply
