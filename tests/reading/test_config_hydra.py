"""Hydra / OmegaConf: defaults lists composed from group folders, packages, _self_, interpolations."""
from __future__ import annotations

from pathlib import Path

from ganlint.checking.runner import check_paths
from ganlint.reading.config import read_config_file


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def read(path: Path):
    return {s.key: s for s in read_config_file(str(path), path.read_text())}


TREE = {
    "conf/config.yaml": "defaults:\n  - _self_\n  - model: wgan\n  - optimizer: adam\n\nseed: 0\nbatch_size: 16\nlr: ${optimizer.lr}\n",
    "conf/model/wgan.yaml": "# a WGAN-GP\nz_dim: 3\nlambda_gp: 10\ngenerator:\n  hidden: [256, 256]\n",
    "conf/optimizer/adam.yaml": "# @package optimizer\nname: adam\nlr: 1.0e-3\nbetas: [0.5, 0.9]\n",
}


def test_groups_under_their_package_with_their_own_file_and_line(tmp_path):
    write(tmp_path, TREE)
    s = read(tmp_path / "conf/config.yaml")
    z = s["model.z_dim"]
    assert z.value == 3 and z.location.file.endswith("model/wgan.yaml") and z.location.line == 2
    assert z.style == "hydra" and z.canonical == "latent_dim"
    assert s["model.generator.hidden"].role == "generator"
    assert s["optimizer.lr"].value == 1e-3 and s["optimizer.lr"].location.line == 3
    assert s["batch_size"].location.file.endswith("conf/config.yaml") and s["batch_size"].location.line == 7
    assert "defaults" not in s and not any(k.startswith("defaults") for k in s)


def test_interpolation_points_at_the_literal(tmp_path):
    write(tmp_path, TREE)
    s = read(tmp_path / "conf/config.yaml")
    assert s["lr"].value == 1e-3
    assert s["lr"].location.file.endswith("optimizer/adam.yaml") and s["lr"].location.line == 3


def test_self_ordering_and_global_package(tmp_path):
    write(tmp_path, {
        "c/first.yaml": "defaults:\n  - _self_\n  - train: long\nsteps: 10\n",
        "c/last.yaml": "defaults:\n  - train: long\nsteps: 10\n",
        "c/train/long.yaml": "# @package _global_\nsteps: 100000\n",
    })
    first = read(tmp_path / "c/first.yaml")
    assert first["steps"].value == 100000 and first["steps"].location.file.endswith("train/long.yaml")
    last = read(tmp_path / "c/last.yaml")
    assert last["steps"].value == 10 and last["steps"].location.file.endswith("c/last.yaml")
    assert list(last) == ["steps"]


def test_package_override_nested_defaults_and_missing_files(tmp_path):
    write(tmp_path, {
        "c/config.yaml": "defaults:\n  - model@net: gan\n  - optional db: none\n  - override hydra/launcher: basic\n",
        "c/model/gan.yaml": "defaults:\n  - gen: small\nlr: 2e-4\n",
        "c/model/gen/small.yaml": "z_dim: 8\n",
    })
    s = read(tmp_path / "c/config.yaml")
    assert s["net.lr"].value == 2e-4
    assert s["model.gen.z_dim"].value == 8 and s["model.gen.z_dim"].role == "generator"


def test_group_file_is_read_through_its_primary_only(tmp_path):
    write(tmp_path, TREE)
    group = tmp_path / "conf/model/wgan.yaml"
    assert read_config_file(str(group), group.read_text()) == []
    lone = tmp_path / "other/model/x.yaml"
    write(tmp_path, {"other/model/x.yaml": "z_dim: 3\n"})
    assert [s.key for s in read_config_file(str(lone), lone.read_text())] == ["z_dim"]


def test_check_reports_on_the_group_files_lines(tmp_path):
    write(tmp_path, TREE)
    result = check_paths([str(tmp_path / "conf")], select=["GL103", "GL104", "GL106"])
    assert not result.errors
    got = sorted((f.code, Path(f.location.file).name, f.location.line) for f in result.findings)
    assert got == [("GL103", "wgan.yaml", 2), ("GL104", "adam.yaml", 3), ("GL106", "config.yaml", 7)]


def test_plain_yaml_interpolation(tmp_path):
    write(tmp_path, {"c.yaml": "base_lr: 0.001\ng_lr: ${base_lr}\nname: run_${base_lr}\n"})
    s = read(tmp_path / "c.yaml")
    assert s["g_lr"].value == 0.001 and s["g_lr"].location.line == 1 and s["g_lr"].role == "generator"
    assert s["name"].value == "run_${base_lr}"
