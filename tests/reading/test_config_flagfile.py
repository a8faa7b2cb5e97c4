"""absl flagfiles: read as settings, found by discovery (an INI setup.cfg is not one), bad lines named."""
from __future__ import annotations

import pytest

from ganlint.checking.runner import check_paths
from ganlint.core.errors import InputError
from ganlint.reading.config.flagfile import looks_like_flagfile, read_flagfile

FLAGS = """\
# WGAN-GP, small batch
--lr=1e-3
--batch_size 16  // per device
--gp_weight=10.0
--nouse_ema
--normalize
--hidden=[256, 256]
--flagfile=common.flags
"""


def test_values_keys_and_columns():
    got = {s.key: (s.value, s.canonical, s.location.line, s.location.column) for s in read_flagfile("t.flags", FLAGS)}
    assert got["lr"] == (1e-3, "learning_rate", 2, 6)
    assert got["batch_size"] == (16, "batch_size", 3, 14)
    assert got["gp_weight"][:2] == (10.0, "gp_weight")
    assert got["use_ema"][0] is False and got["normalize"] == (True, "normalize", 6, 1)
    assert got["hidden"][:2] == ([256, 256], "hidden_sizes")
    assert "flagfile" not in got


def test_bad_line_is_one_clear_error():
    with pytest.raises(InputError) as err:
        read_flagfile("t.flags", "--lr=1e-3\nlr: 0.1\n")
    assert str(err.value).startswith("t.flags:2: not a flag")


def test_discovery_reads_flagfiles_and_skips_ini_cfg(tmp_path):
    (tmp_path / "train.flags").write_text(FLAGS)
    (tmp_path / "run.cfg").write_text("--n_critic=2\n--lambda_gp=10\n")
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = demo\n")
    res = check_paths([str(tmp_path)])
    assert not res.errors
    assert sorted(p.rsplit("/", 1)[-1] for p in res.files) == ["run.cfg", "train.flags"]
    found = {(f.code, f.location.file.rsplit("/", 1)[-1], f.location.line) for f in res.findings}
    assert {("GL104", "train.flags", 2), ("GL106", "train.flags", 3), ("GL105", "run.cfg", 1)} <= found
    assert looks_like_flagfile("--a=1\n") and not looks_like_flagfile("[metadata]\nname = x\n")
