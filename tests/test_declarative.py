"""SettingRangeRule semantics and rule_from_table (users' own range rules)."""
from __future__ import annotations

import pytest

from ganlint.checking.declarative import SettingRangeRule, rule_from_table
from ganlint.checking.runner import run_rules
from ganlint.core.errors import UsageError
from ganlint.core.types import Location, Setting, Severity
from ganlint.reading.facts import ProjectFacts


def setting(key, value, canonical, role=None, line=1, file="c.yaml"):
    return Setting(key=key, value=value, location=Location(file, line, 5), style="yaml", canonical=canonical, role=role)


class LrRule(SettingRangeRule):
    code, slug, severity = "GL999", "test-lr", Severity.WARNING
    summary = why = use_instead = source = "test"
    setting = "learning_rate"
    roles = ("generator", None)
    high = "max_lr"
    high_inclusive = True
    low = 1e-6
    options = {"max_lr": 5e-4, "proposed": 3e-4}
    message = "{key}={value} {direction} [{low}, {high}] -> {proposed}"


def test_bounds_roles_and_fix():
    facts = ProjectFacts(settings=[
        setting("lr", 5e-4, "learning_rate", line=1),
        setting("g_lr", 4e-4, "learning_rate", "generator", line=2),
        setting("d_lr", 1e-2, "learning_rate", "critic", line=3),
        setting("x_lr", 1e-9, "learning_rate", line=4),
        setting("flag", True, "learning_rate", line=5),
        setting("s", "fast", "learning_rate", line=6),
    ])
    found = list(LrRule().check(facts, dict(LrRule.options)))
    assert [f.location.line for f in found] == [1, 4]
    assert found[0].message == "lr=0.0005 above [1e-06, 0.0005] -> 0.0003"
    edit = found[0].fix.edits[0]
    assert (edit.kind, edit.target, edit.old, edit.new, edit.location.line) == ("set-setting", "lr", 5e-4, 3e-4, 1)
    assert found[1].message.startswith("x_lr=1e-09 below")
    # options override the defaults
    assert [f.location.line for f in LrRule().check(facts, {"max_lr": 1e-3, "proposed": 3e-4})] == [4]


def test_last_value_per_key_and_int_proposals():
    class Batch(SettingRangeRule):
        code, slug, severity = "GL998", "test-batch", Severity.INFO
        summary = why = use_instead = source = "t"
        setting = "batch_size"
        low = "min"
        options = {"min": 64, "proposed": 64.0}

    facts = ProjectFacts(settings=[
        setting("bs", 16, "batch_size", line=1), setting("bs", 128, "batch_size", line=9),
        setting("bs", 8, "batch_size", line=2, file="other.yaml"),
    ])
    found = list(Batch().check(facts, dict(Batch.options)))
    assert [(f.location.file, f.location.line) for f in found] == [("other.yaml", 2)]
    new = found[0].fix.edits[0].new
    assert new == 64 and isinstance(new, int)


def test_same_location_reported_once():
    a = setting("lr", 1.0, "learning_rate", line=3)
    b = setting("model.lr", 1.0, "learning_rate", line=3)  # an interpolation pointing at the same literal
    assert len(list(LrRule().check(ProjectFacts(settings=[a, b]), dict(LrRule.options)))) == 1


def test_rule_from_table_end_to_end():
    rule = rule_from_table("GL901", {
        "slug": "vae-batch-large", "setting": "batch_size", "families": ["vae"], "roles": ["none", "vae"],
        "max": 256, "proposed": 128, "severity": "info", "message": "batch {value} above {high}",
    })
    assert rule.code == "GL901" and rule.severity is Severity.INFO and rule.options == {"max": 256, "proposed": 128}
    vae = ProjectFacts(settings=[setting("kl_weight", 0.01, "kl_weight"), setting("batch_size", 512, "batch_size", line=2)])
    assert rule.applies(vae)
    found = list(rule.check(vae, dict(rule.options)))
    assert [f.message for f in found] == ["batch 512 above 256"] and found[0].fix.edits[0].new == 128
    gan = ProjectFacts(settings=[setting("lambda_gp", 10, "gp_weight"), setting("batch_size", 512, "batch_size", line=2)])
    assert not rule.applies(gan)
    assert run_rules(gan, select=None) is not None  # the catalog still runs
    # user thresholds override
    assert not list(rule.check(vae, {"max": 1024, "proposed": 128}))


def test_rule_from_table_min_only_and_lists_of_settings():
    rule = rule_from_table("GL902", {"slug": "tiny", "setting": ["learning_rate", "gp_weight"], "min": 1})
    facts = ProjectFacts(settings=[setting("lr", 0.5, "learning_rate"), setting("gp", 0.5, "gp_weight", line=2)])
    assert len(list(rule.check(facts, dict(rule.options)))) == 2
    assert all(f.fix is None for f in rule.check(facts, dict(rule.options)))


@pytest.mark.parametrize(
    "table,words",
    [
        ({"setting": "lr", "max": 1}, "slug"),
        ({"slug": "Bad Slug", "setting": "lr", "max": 1}, "slug"),
        ({"slug": "x", "max": 1}, "setting"),
        ({"slug": "x", "setting": "lr"}, "min"),
        ({"slug": "x", "setting": "lr", "max": "high"}, "number"),
        ({"slug": "x", "setting": "lr", "max": 1, "roles": ["boss"]}, "roles"),
        ({"slug": "x", "setting": "lr", "max": 1, "families": ["diffusion"]}, "families"),
        ({"slug": "x", "setting": "lr", "max": 1, "severity": "fatal"}, "severity"),
        ({"slug": "x", "setting": "lr", "max": 1, "colour": "red"}, "unknown"),
        ({"slug": "x", "setting": "lr", "max": 1, "max_inclusive": "yes"}, "true or false"),
    ],
)
def test_rule_from_table_rejects_bad_tables(table, words):
    with pytest.raises(UsageError) as err:
        rule_from_table("GL903", table)
    assert words in str(err.value) and "GL903" in str(err.value)


def test_bad_code():
    with pytest.raises(UsageError):
        rule_from_table("nope", {"slug": "x", "setting": "lr", "max": 1})


def test_prefer_roles_drops_role_less_settings_when_specific_ones_exist():
    class VaeLr(LrRule):
        roles = ("vae", None)
        prefer_roles = ("vae",)

    agent = setting("lr", 1e-3, "learning_rate", line=1)
    vae = setting("vae_lr", 1e-3, "learning_rate", "vae", line=2)
    assert [f.location.line for f in VaeLr().check(ProjectFacts(settings=[agent, vae]), dict(LrRule.options))] == [2]
    assert [f.location.line for f in VaeLr().check(ProjectFacts(settings=[agent]), dict(LrRule.options))] == [1]


def test_literal_optimizer_arguments_with_a_known_role(tmp_path):
    from ganlint.checking.runner import check_paths

    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\n\n\nclass Generator(nn.Module):\n    pass\n\n\n"
        "class Discriminator(nn.Module):\n    pass\n\n\nG, D = Generator(), Discriminator()\n"
        "opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))\n"
        "opt_x = torch.optim.Adam(thing.parameters(), lr=1e-3)\n"
    )
    (tmp_path / "c.yaml").write_text("gan_mode: vanilla\n")
    result = check_paths([str(tmp_path)], select=["GL113"])
    assert [(f.location.line, f.location.column) for f in result.findings] == [(14, 45)]
    edit = result.findings[0].fix.edits[0]
    assert (edit.kind, edit.old, edit.new) == ("replace-code", "1e-3", "0.0002")
