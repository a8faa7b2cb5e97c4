"""The staged plan on the documents' fixtures: stages, select/ignore, unsafe, idempotence, atomic writes."""
import os

import pytest

from ganlint.fix import apply_plan, fix_files, input_files
from ganlint.fix.planner import make_plan
from ganlint.fix.writer import WriteError, write_all

FIXTURES = ["wgan_gp_000_broken", "gan_002_broken", "vae_003_broken", "energy_004_broken"]


def plan_for(path, **kw):
    return make_plan(input_files([str(path)]), **kw)


def test_000_stages_follow_the_documents(project):
    plan = plan_for(project("wgan_gp_000_broken"))
    assert plan.family == "wgan-gp"
    stages = {s: {f.code for f in fixes} for s, fixes in plan.stages.items()}
    assert {"GL001", "GL102"} <= stages[1]
    assert {"GL104", "GL105", "GL106"} <= stages[2]
    assert "GL103" in stages[3]
    res = apply_plan(plan, upto=1)
    (cfg,) = [t for p, t in res.new_texts.items() if p.endswith("config.yaml")]
    assert "non_linearity: LeakyReLU" in cfg and 'nn_disc: "[256,256]"' in cfg
    assert "learning_rate: 0.001\n" in cfg  # stage 2 not applied


def test_003_plan_changes_what_the_document_asks(project):
    d = project("vae_003_broken")
    res = fix_files([str(d)], upto=None)
    cfg = res.new_texts[str(d / "config.py")]
    model = res.new_texts[str(d / "model.py")]
    assert "config['vae_lr'] = 3e-4" in cfg and "optim_alpha" not in cfg
    assert "config['omg_vae_alpha'] = 0.01" in cfg and "config['kl_anneal_steps'] = 1000" in cfg
    assert "config['grad_norm_clip'] = 10" in cfg and "config['latent_dim'] = 16" in cfg
    assert "betas=(0.5, 0.999)" in model and "torch.clamp(log_var, -10.0, 10.0)" in model
    assert "kl_weight = min(self.args['omg_vae_alpha'], self.kl_step / self.args['kl_anneal_steps'])" in model


def test_004_head_rescaled_and_clip(project):
    d = project("energy_004_broken")
    res = fix_files([str(d)], upto=1)
    assert "E = self.act(raw * 0.5) * 2.0 + 0.1" in res.new_texts[str(d / "model.py")]
    cfg = res.new_texts[str(d / "config.toml")]
    assert "temperature = 0.3" in cfg and "grad_clip = 0.3" in cfg and "energy_learning_rate = 1e-4" in cfg


@pytest.mark.parametrize("name", FIXTURES)
def test_fixing_the_output_changes_nothing(project, name):
    d = project(name)
    first = fix_files([str(d)], upto=None)
    assert first.new_texts, "the broken fixture must need fixes"
    write_all(first.new_texts)
    second = fix_files([str(d)], upto=None)
    assert second.new_texts == {}, f"not idempotent: {second.changed}"
    assert second.applied == []


def test_select_and_ignore(project):
    d = project("wgan_gp_000_broken")
    only = plan_for(d, select=["GL104"])
    assert {f.code for f in only.fixes} == {"GL104"}
    without = plan_for(d, ignore=["GL1"])
    assert not any(f.code.startswith("GL1") for f in without.fixes)
    assert any(f.code == "GL001" for f in without.fixes)


def test_unsafe_fix_needs_the_flag(project):
    from ganlint.core.types import Edit, Finding, Fix, Location, Severity

    d = project("vae_003_broken")
    cfg = str(d / "config.py")
    unsafe = Finding("GL002", "adam-with-rmsprop-alpha", Severity.WARNING, "optim_alpha with Adam", Location(cfg, 4),
                     fix=Fix("drop optim_alpha", [Edit("remove-setting", cfg, target="optim_alpha")], safe=False, stage=2))
    files = input_files([str(d)])
    plan = make_plan(files, findings=[unsafe], select=["GL002"])
    assert {f.code for f in plan.unsafe_skipped} == {"GL002"} and plan.fixes == []
    assert "optim_alpha" in (apply_plan(plan).new_texts.get(cfg) or open(cfg).read())
    plan = make_plan(files, findings=[unsafe], select=["GL002"], unsafe=True)
    assert "optim_alpha" not in apply_plan(plan).new_texts[cfg]


def test_atomic_write_rolls_back_everything(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("x: 1\n")
    b.write_text("y: 2\n")
    with pytest.raises(WriteError, match="nothing written"):
        write_all({str(a): "x: 10\n", str(b): "y: 20\n"}, _fail_after=1)
    assert a.read_text() == "x: 1\n" and b.read_text() == "y: 2\n"
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml"]  # no temp or backup files left


def test_atomic_write_failure_before_replacing(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("x: 1\n")
    blocker = tmp_path / "sub"
    blocker.write_text("a file where a folder is needed")
    with pytest.raises(WriteError):
        write_all({str(a): "x: 10\n", str(blocker / "c.yaml"): "z: 3\n"})
    assert a.read_text() == "x: 1\n"
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "sub"]


@pytest.mark.parametrize("name", ["wgan_gp_000_healthy", "gan_002_healthy", "vae_003_healthy", "energy_004_healthy"])
def test_healthy_twins_need_nothing(project, name):
    res = fix_files([str(project(name))], upto=None)
    assert res.new_texts == {} and res.applied == []


def test_logits_fix_is_unsafe_when_the_code_reads_d_as_a_probability(project):
    d = project("gan_002_broken")
    train = d / "train.py"
    train.write_text(train.read_text().replace("        opt_g.step()\n", "        opt_g.step()\n        acc = (D(real) > 0.5).float().mean()\n"))
    plan = plan_for(d)
    assert "GL111" in {f.code for f in plan.unsafe_skipped} and "GL111" not in {f.code for f in plan.fixes}
    res = apply_plan(plan)
    assert "nn.Sigmoid()" in (res.new_texts.get(str(d / "model.py")) or (d / "model.py").read_text())
    assert "GL111" in {f.code for f in plan_for(d, unsafe=True).fixes}
