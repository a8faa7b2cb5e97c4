"""`ganlint rule CODE` and `ganlint rules --format text|json|markdown`."""
from __future__ import annotations

import json


def test_rule_prints_every_part_of_the_docs(invoke):
    r = invoke("rule", "GL097")
    assert r.exit_code == 0
    out = r.stdout
    assert out.startswith("# GL097 fake-warning (warning, static (ganlint check))")
    for part in ("a fake warning", "## Why is this bad?", "because",
                 "## Use instead", "[tool.ganlint.rules.GL097]", "- `limit` (default `3`): an int",
                 "- `name` (default `\"x\"`)", "- `flag` (default `false`)", "Source: test"):
        assert part in out, part


def test_rule_by_slug_and_lowercase(invoke):
    assert invoke("rule", "fake-error").stdout.startswith("# GL098 fake-error")
    assert invoke("rule", "gl098").stdout.startswith("# GL098 fake-error")


def test_rule_shows_examples(invoke):
    out = invoke("rule", "GL098").stdout
    assert "## Example\n`m.py`:\n```python\nx = 1  # FAKE_ERR\n```" in out  # without the test marker
    assert "## Fixed example\n`m.py`:\n```python\nx = 1\n```" in out


def test_meta_rule_gl900(invoke):
    r = invoke("rule", "GL900")
    assert r.exit_code == 0 and "unused-suppression" in r.stdout and "meta" in r.stdout


def test_unknown_rule_exit_2(invoke):
    r = invoke("rule", "GL555")
    assert r.exit_code == 2
    assert "unknown rule 'GL555'" in r.stderr


def test_rule_json(invoke):
    d = json.loads(invoke("rule", "GL097", "--format", "json").stdout)
    assert d["code"] == "GL097" and d["options"] == {"limit": 3, "ratio": 0.5, "name": "x", "flag": False}


def test_rules_text(invoke):
    lines = invoke("rules").stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["GL097", "GL098", "GL099", "GL900"]
    assert lines[1].split()[1:4] == ["fake-error", "error", "check"]


def test_rules_json(invoke):
    doc = json.loads(invoke("rules", "--format", "json").stdout)
    assert doc["version"] == 1
    assert [d["code"] for d in doc["rules"]] == ["GL097", "GL098", "GL099", "GL900"]
    assert doc["rules"][0]["why"] == "because"


def test_rules_markdown(invoke):
    out = invoke("rules", "--format", "markdown").stdout.splitlines()
    assert out[0].startswith("| code | name | severity |")
    assert out[2].startswith("| GL097 | `fake-warning` | warning | check | a fake warning |")
    assert "`limit=3`" in out[2]
    assert len(out) == 5  # header, rule, 3 rules; GL900 is the runner's, not the catalog's


def test_rules_bad_format(invoke):
    assert invoke("rules", "--format", "yaml").exit_code == 2
