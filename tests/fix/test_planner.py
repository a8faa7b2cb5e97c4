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


# -- one fix per finding per file: a rule's code edits and a recipe's transform never both ------------------
def _code_edit_files(fixes):
    from ganlint.fix.edits import TEXT_KINDS, TRANSFORM_KIND

    text, transformed = {}, {}
    for fx in fixes:
        for e in fx.edits:
            if e.kind in TEXT_KINDS:
                text.setdefault(fx.code, set()).add(e.file)
            elif e.kind == TRANSFORM_KIND:
                transformed.setdefault(fx.code, set()).add(e.file)
    return text, transformed


@pytest.mark.parametrize("name", FIXTURES)
def test_no_code_is_fixed_twice_in_one_file(project, name):
    plan = plan_for(project(name), unsafe=True)
    text, transformed = _code_edit_files(plan.fixes + plan.unsafe_skipped)
    both = {code: text[code] & transformed[code] for code in text.keys() & transformed.keys() if text[code] & transformed[code]}
    assert both == {}, f"a rule's code edits and a recipe's transform on the same file: {both}"


def test_003_fixed_model_clamps_log_var_once(project):
    d = project("vae_003_broken")
    model = fix_files([str(d)], upto=None).new_texts[str(d / "model.py")]
    # the planner's clamp statement in each of the two functions that exponentiate log_var, and no inline
    # clamp of the rule's edit on top of it
    assert model.count("log_var = torch.clamp(log_var, -10.0, 10.0)") == 2
    assert "log_var.clamp(" not in model and model.count("clamp(") == 2
    assert "torch.exp(0.5 * log_var)" in model and "log_var.exp()" in model


def test_002_code_fixes_applied_once(project):
    d = project("gan_002_broken")
    res = fix_files([str(d)], upto=None, unsafe=True)
    train, model = res.new_texts[str(d / "train.py")], res.new_texts[str(d / "model.py")]
    assert train.count(".detach()") == 1 and "D(fake.detach())" in train
    assert train.count("betas=(0.5, 0.999)") == 2 and train.count("betas=") == 2
    assert train.count("BCEWithLogitsLoss") == 1 and "BCELoss" not in train.replace("BCEWithLogitsLoss", "")
    assert "nn.Sigmoid()" not in model and model.count("nn.Identity()") == 1
    assert train.count("softplus") == 1  # the G loss rewritten once, for logits
    assert "loss_g = torch.nn.functional.softplus(-D(G(z))).mean()" in train  # not -(-softplus(...)).mean()


def test_004_clip_once_and_read_from_the_config(project):
    d = project("energy_004_broken")
    res = fix_files([str(d)], upto=1)
    model = res.new_texts[str(d / "model.py")]
    assert model.count("clip_grad_norm_") == 1
    # the recipe's fix is the more complete one: the key it adds to the config is the one the code reads
    assert 'clip_grad_norm_(model.parameters(), max_norm=cfg["grad_clip"])' in model
    assert "grad_clip = 0.3" in res.new_texts[str(d / "config.toml")]


def test_000_betas_passed_once(project):
    d = project("wgan_gp_000_broken")
    train = fix_files([str(d)], upto=None).new_texts[str(d / "train.py")]
    assert train.count("betas=(0.5, 0.9)") == 2 and train.count("betas=") == 2


def test_rule_edits_kept_when_the_transform_misses_a_site(project):
    """GL001: the transform rewrites only nn.Sigmoid() modules; the functional hidden sigmoid is the rule's
    alone. The rule's edits cover both sites, so they are kept and the transform is not added on top."""
    d = project("wgan_gp_000_broken")
    model = d / "model.py"
    model.write_text(model.read_text() + """

class AuxGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 8))
        self.b = nn.Linear(8, 8)
        self.c = nn.Linear(8, 2)

    def forward(self, x):
        h = torch.sigmoid(self.b(self.a(x)))
        return self.c(h)
""")
    plan = plan_for(d, select=["GL001"])
    text_files, transformed = _code_edit_files(plan.fixes)
    assert str(model) in text_files["GL001"] and str(model) not in transformed.get("GL001", set())
    fixed = apply_plan(plan).new_texts[str(model)]
    assert "Sigmoid()" not in fixed and "torch.sigmoid(" not in fixed
    assert fixed.count("nn.LeakyReLU(0.2)") == 1 and fixed.count("leaky_relu(self.b(self.a(x)), 0.2)") == 1


# -- stages come from the rules (Rule.fix_stage) ------------------------------------------------------
def test_stages_are_the_rules_fix_stage(project):
    from ganlint.checking.registry import rule_by_code

    for name in FIXTURES:
        plan = plan_for(project(name), unsafe=True)
        for fx in plan.fixes + plan.unsafe_skipped:
            declared = rule_by_code(fx.code).fix_stage or 1
            if fx.code == "GL304" and fx.origin == "planner" and fx.stage == 1:
                continue  # 004 方案4: the lower rate goes with stage 1, the warm-up with the rule's stage 3
            assert fx.stage == declared, (name, fx.describe())


def test_a_rule_without_stage_gets_one_from_the_registry(project, monkeypatch):
    from ganlint.checking.registry import rule_by_code
    from ganlint.core.types import Edit, Finding, Fix, Location, Severity

    d = project("vae_003_broken")
    cfg = str(d / "config.py")
    fnd = Finding("GL206", "latent-dim-large", Severity.WARNING, "latent 64", Location(cfg, 8),
                  fix=Fix("latent 16", [Edit("set-setting", cfg, target="latent_dim", new=16)], stage=None))
    plan = make_plan(input_files([str(d)]), findings=[fnd], select=["GL206"])
    assert [f.stage for f in plan.fixes] == [rule_by_code("GL206").fix_stage]
    # the planner's own fixes follow a rule's stage too: move GL205 and the clamp transform moves with it
    monkeypatch.setattr(type(rule_by_code("GL205")), "fix_stage", 2)
    plan = plan_for(d, select=["GL205"])
    assert plan.fixes and {f.stage for f in plan.fixes} == {2}


# -- the reading layer's facts, not the planner's own guesses -------------------------------------------
def test_families_come_from_the_check_facts(project, monkeypatch):
    from ganlint.reading.facts import ProjectFacts

    d = project("wgan_gp_000_broken")
    assert plan_for(d).family == "wgan-gp"
    assert plan_for(d, family="gan").family == "gan"  # --family still overrides
    monkeypatch.setattr(ProjectFacts, "families", lambda self: {"energy"})
    assert plan_for(d).family == "energy"


def test_settings_come_from_the_check_facts(project, monkeypatch):
    import ganlint.fix.planner as planner
    from ganlint.checking import runner

    d = project("vae_003_broken")
    seen = []
    real = runner.check_paths
    monkeypatch.setattr(runner, "check_paths", lambda files, *a, **k: seen.append(real(files, *a, **k)) or seen[-1])
    monkeypatch.setattr(planner, "facts_from_texts", lambda *a: pytest.fail("the check's facts were read again"))
    plan = plan_for(d, select=["GL203"])
    assert len(seen) == 1 and [f.code for f in plan.fixes] == ["GL203"]
    knobs = planner.Project(plan.files, plan.texts, seen[0].facts).find("learning_rate")
    assert [(k.key, k.value) for k in knobs] == [(s.key, s.value) for s in seen[0].facts.settings_for("learning_rate")]


# -- internal errors are not swallowed --------------------------------------------------------------
def test_internal_errors_propagate(project, monkeypatch):
    from ganlint.checking import registry, runner

    d = project("vae_003_broken")
    files = input_files([str(d)])
    monkeypatch.setattr(runner, "check_paths", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("reader bug")))
    with pytest.raises(RuntimeError, match="reader bug"):
        make_plan(files)
    monkeypatch.undo()
    monkeypatch.setattr(registry, "rule_by_code", lambda code: (_ for _ in ()).throw(RuntimeError("registry bug")))
    with pytest.raises(RuntimeError, match="registry bug"):
        make_plan(files)


def test_cli_reports_an_internal_error_in_one_line(project, monkeypatch, capsys):
    import sys

    from ganlint.checking import runner
    from ganlint.cli import main

    d = project("vae_003_broken")
    monkeypatch.delenv("GANLINT_DEBUG", raising=False)
    monkeypatch.setattr(runner, "check_paths", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("reader bug")))
    monkeypatch.setattr(sys, "argv", ["ganlint", "fix", str(d)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == "ganlint: internal error: RuntimeError: reader bug\n"
    assert not list(d.glob("*.fixed.*"))


# -- the planner's own job: two edits on one key, the same edit twice ------------------------------------------
def test_two_rules_on_one_key_the_earlier_stage_wins(project):
    from ganlint.core.types import Edit, Finding, Fix, Location, Severity

    d = project("vae_003_broken")
    cfg = str(d / "config.py")
    lr = lambda code, stage, new: Finding(code, code.lower(), Severity.WARNING, "lr", Location(cfg, 3),  # noqa: E731
                                          fix=Fix(f"lr {new}", [Edit("set-setting", cfg, target="vae_lr", new=new)], stage=stage))
    plan = make_plan(input_files([str(d)]), findings=[lr("GL104", 2, 1e-4), lr("GL203", 1, 3e-4), lr("GL203", 1, 3e-4)])
    assert [(f.code, [e.new for e in f.edits]) for f in plan.fixes] == [("GL203", [3e-4])]  # once, not twice
    assert [(f.code, why) for f, why in plan.dropped] == [("GL104", "vae_lr is already set by GL203")]
    assert "config['vae_lr'] = 3e-4" in apply_plan(plan).new_texts[cfg]
