"""json (against docs/json-schema.md), sarif (SARIF 2.1.0 required fields + what GitHub needs), github."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import write

ROOT = Path(__file__).resolve().parents[2]


def _schema() -> dict:
    text = (ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")
    block = text.split("<!-- schema:start -->", 1)[1].split("<!-- schema:end -->", 1)[0]
    return json.loads(block.strip().removeprefix("```json").removesuffix("```"))


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def validate(value, schema: dict, root: dict, path: str = "$") -> list[str]:
    """A small JSON Schema subset: type, enum, pattern, required, properties, items, anyOf, $ref."""
    if "$ref" in schema:
        schema = root["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    errs: list[str] = []
    if "anyOf" in schema:
        if all(validate(value, s, root, path) for s in schema["anyOf"]):
            errs.append(f"{path}: matches none of anyOf")
        return errs
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = False
        for t in types:
            if t == "integer":
                ok |= isinstance(value, int) and not isinstance(value, bool)
            elif t == "number":
                ok |= isinstance(value, (int, float)) and not isinstance(value, bool)
            else:
                ok |= isinstance(value, _TYPES[t])
        if not ok:
            return [f"{path}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path}: {value!r} not in {schema['enum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errs.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errs.append(f"{path}: missing {key!r}")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errs += validate(value[key], sub, root, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errs += validate(item, schema["items"], root, f"{path}[{i}]")
    return errs


def test_schema_validator_can_fail():
    schema = _schema()
    assert validate({"version": 2}, schema, schema)
    assert validate({"version": 1, "tool": {"name": "x", "version": "1"}, "findings": [{"code": "X"}],
                     "errors": [], "summary": {}}, schema, schema)


def test_json_report_matches_documented_schema(invoke, project):
    write(project, {"broken.py": "def f(:\n"})
    r = invoke("check", "--format", "json", ".")
    assert r.exit_code == 2  # the unreadable file
    doc = json.loads(r.stdout)
    schema = _schema()
    assert validate(doc, schema, schema) == []
    assert doc["version"] == 1 and doc["tool"]["name"] == "ganlint"
    assert [f["code"] for f in doc["findings"]] == ["GL097", "GL098", "GL099"]
    err = doc["findings"][1]
    assert (err["file"], err["line"], err["column"], err["severity"]) == ("model.py", 2, 23, "error")
    assert err["related"][0]["line"] == 1
    assert err["fix"]["edits"][0]["new"] == 0.0001
    assert doc["errors"] == [{"file": "broken.py", "line": 1, "message": doc["errors"][0]["message"]}]
    assert doc["summary"]["by_severity"] == {"error": 1, "warning": 1, "info": 1}
    assert doc["summary"]["by_code"] == {"GL097": 1, "GL098": 1, "GL099": 1}
    assert doc["summary"]["files"] == 2


def test_json_report_without_findings(invoke, tmp_path):
    write(tmp_path, {"a.py": "x = 1\n"})
    r = invoke("check", "--format", "json", "a.py")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    schema = _schema()
    assert validate(doc, schema, schema) == [] and doc["findings"] == [] and doc["errors"] == []


SARIF_LEVELS = {"none", "note", "warning", "error"}


def check_sarif(doc: dict) -> None:
    """SARIF 2.1.0's required properties, and what GitHub code scanning reads."""
    assert doc["version"] == "2.1.0"
    assert "sarif-2.1.0" in doc["$schema"]
    assert isinstance(doc["runs"], list) and doc["runs"]
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "ganlint"
        ids = [r["id"] for r in driver["rules"]]
        assert len(ids) == len(set(ids))
        for rule in driver["rules"]:
            assert re.fullmatch(r"GL\d{3}", rule["id"])
            assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
            assert rule["help"]["text"] and rule["help"]["markdown"]
            assert rule["defaultConfiguration"]["level"] in SARIF_LEVELS
            assert isinstance(rule["properties"]["tags"], list)
        for res in run["results"]:
            assert res["message"]["text"]
            assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
            assert res["level"] in SARIF_LEVELS
            for loc in res["locations"] + res.get("relatedLocations", []):
                phys = loc["physicalLocation"]
                uri = phys["artifactLocation"]["uri"]
                assert not uri.startswith("/") and ".." not in uri.split("/")
                assert phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
                assert phys["region"]["startLine"] >= 1 and phys["region"]["startColumn"] >= 1
            for i, rel in enumerate(res.get("relatedLocations", []), 1):
                assert rel["id"] == i
        for inv in run.get("invocations", []):
            assert isinstance(inv["executionSuccessful"], bool)  # required by the 2.1.0 schema
            for note in inv.get("toolExecutionNotifications", []):
                assert note["message"]["text"]
        for rule in driver["rules"]:  # multiformatMessageString requires text
            for key in ("shortDescription", "fullDescription", "help"):
                assert isinstance(rule[key]["text"], str)
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_sarif_report(invoke, project):
    (project / ".git").mkdir()  # the repository root: uris are relative to it
    (project / "sub").mkdir()
    write(project, {"sub/deep.py": "# FAKE_INFO\n", "broken.yaml": b"\xff\xfe bad"})
    r = invoke("check", "--format", "sarif", ".")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    check_sarif(doc)
    run = doc["runs"][0]
    results = run["results"]
    assert {x["ruleId"] for x in results} == {"GL097", "GL098", "GL099"}
    by_rule = {x["ruleId"]: x for x in results}
    assert by_rule["GL098"]["level"] == "error" and by_rule["GL099"]["level"] == "note"
    assert by_rule["GL097"]["level"] == "warning"
    uris = sorted(x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for x in results)
    assert "sub/deep.py" in uris and "model.py" in uris
    assert by_rule["GL098"]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 1
    region = by_rule["GL098"]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 23, "endLine": 2, "endColumn": 31}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.yaml"


def test_sarif_paths_relative_to_git_root_from_a_subfolder(invoke, project, monkeypatch):
    (project / ".git").mkdir()
    write(project, {"pkg/m.py": "# FAKE_ERR\n"})
    monkeypatch.chdir(project / "pkg")
    r = invoke("check", "--format", "sarif", "m.py")
    doc = json.loads(r.stdout)
    check_sarif(doc)
    assert doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/m.py"


def test_sarif_describes_the_real_catalog(invoke, project, monkeypatch):
    """With the real registry (not the fakes): every rule has a complete descriptor."""
    from ganlint.report import render

    from ganlint.checking import registry
    monkeypatch.undo()
    registry.all_rules.cache_clear() if hasattr(registry.all_rules, "cache_clear") else None
    doc = json.loads(render([], [], "sarif"))
    check_sarif(doc)
    ids = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert {r.code for r in registry.all_rules()} | {"GL900"} == ids


def test_github_format(invoke, project):
    (project / ".git").mkdir()
    write(project, {"we,ird:name.py": "# FAKE_WARN\n"})
    r = invoke("check", "--format", "github", ".")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert "::error file=model.py,line=2,col=23,endLine=2,endColumn=31,title=GL098 fake-error::FAKE_ERR found" in lines
    assert any(line.startswith("::notice file=model.py,line=3,") for line in lines)
    assert any(line.startswith("::warning file=config.yaml,line=1,") for line in lines)
    assert any(line.startswith("::warning file=we%2Cird%3Aname.py,line=1,") for line in lines)


def test_github_escapes_message_newlines():
    from ganlint.core.types import Finding, Location, Severity
    from ganlint.report import render

    f = Finding("GL001", "x", Severity.ERROR, "a\nb 100%", Location("a.py", 1))
    out = render([f], [], "github", root=".")
    assert out == "::error file=a.py,line=1,col=1,endLine=1,title=GL001 x::a%0Ab 100%25\n"


def test_render_rejects_unknown_format():
    import pytest

    from ganlint.report import render

    with pytest.raises(ValueError):
        render([], [], "xml")


def test_json_report_is_strict_json_with_non_finite_evidence():
    from ganlint.core.types import Finding, Location, Severity
    from ganlint.report import render

    f = Finding("GL505", "non-finite", Severity.ERROR, "loss is NaN", Location("a.py", 1),
                evidence={"loss": float("nan"), "grad": [float("inf"), 1.5]})
    doc = json.loads(render([f], [], "json"), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert doc["findings"][0]["evidence"] == {"loss": "nan", "grad": ["inf", 1.5]}


def _controls(text: str) -> list[str]:
    return [c for c in text if not c.isprintable() and c != "\n"]


def test_github_makes_control_characters_visible_in_names_and_messages():
    from ganlint.core.errors import InputError
    from ganlint.core.types import Finding, Location, Severity
    from ganlint.report import render

    f = Finding("GL001", "x", Severity.ERROR, "key \x1b[2Jlr\tis\x00 odd\u2028here, 5%\r\n", Location("a\x1b[31m.py", 1))
    err = InputError("syntax error \x1b[1m", "b\x07,c.py", 3)
    out = render([f], [err], "github", root=".")
    lines = out.splitlines()
    assert len(lines) == 2 and not _controls(out), ascii(out)
    assert lines[0] == ("::error file=a\\x1b[31m.py,line=1,col=1,endLine=1,title=GL001 x::"
                        "key \\x1b[2Jlr\\tis\\x00 odd\\u2028here, 5%25%0D%0A")
    assert lines[1] == "::error file=b\\x07%2Cc.py,line=3,title=ganlint::syntax error \\x1b[1m"


def test_check_output_in_every_text_format_keeps_a_file_names_escape_visible(tmp_path):
    """A real `ganlint check` on a file whose name holds ESC (and one that fails to parse): no raw control
    character reaches the terminal, text or github."""
    import subprocess
    import sys

    (tmp_path / "m\x1b[2Jodel.py").write_text("import torch.nn as nn\nact = nn.Sigmoid()\nclass G(nn.Module):\n"
                                             "    def __init__(self):\n        super().__init__()\n"
                                             "        self.net = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 2))\n")
    (tmp_path / "bro\x1bken.py").write_text("def f(:\n")
    for fmt in ("text", "github"):
        proc = subprocess.run([sys.executable, "-m", "ganlint", "check", "--format", fmt, "."], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        both = proc.stdout + proc.stderr
        assert not _controls(both) and "bro\\x1bken.py" in both, (fmt, ascii(both))
