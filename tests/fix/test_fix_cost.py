"""What a fix costs on a big input stays bounded by construction (fuzz inputs 3855, 7485: a script pasted
until it is 40-250 KB took 13-60 s of `fix`): LibCST never gets a file over its budget, a rule walks a file
once however many findings it holds, and a Python config's setting edits are one pass over its tree."""
import ast
import shutil
import sys
from pathlib import Path

import pytest

from ganlint.fix import apply_plan, input_files
from ganlint.fix.edits import EditError, apply_edits
from ganlint.fix.planner import make_plan

ROOT = Path(__file__).resolve().parents[2]


def pasted(tmp_path: Path, fixture: str, file: str, times: int) -> Path:
    """A copy of `fixture` whose `file` is its text `times` over (what a fuzzer's repeat does)."""
    root = tmp_path / fixture
    shutil.copytree(ROOT / "fixtures" / fixture, root, ignore=shutil.ignore_patterns("expected.toml"))
    (root / file).write_text((root / file).read_text() * times)
    return root


def test_libcst_is_never_given_a_file_over_its_budget(tmp_path, monkeypatch):
    import libcst

    from ganlint.fix.edits.cst_parse import MAX_CST_CHARS

    root = pasted(tmp_path, "gan_002_broken", "train.py", 30)
    assert (root / "train.py").stat().st_size > MAX_CST_CHARS
    sizes = []
    real = libcst.parse_module

    def counting(source, *a, **k):
        sizes.append(len(source))
        return real(source, *a, **k)

    monkeypatch.setattr(libcst, "parse_module", counting)
    plan = make_plan(input_files([str(root)]), unsafe=True)
    res = apply_plan(plan)
    assert max(sizes, default=0) <= MAX_CST_CHARS
    assert str(root / "train.py") in res.new_texts  # the rules' textual edits still apply to the big script
    ast.parse(res.new_texts[str(root / "train.py")])


def test_a_python_file_over_the_budget_is_one_clear_error_from_the_editor():
    from ganlint.fix.edits.cst_parse import MAX_CST_CHARS, parse_cst

    text = "lr = 0.001\n" + "x = 1\n" * (MAX_CST_CHARS // 6 + 1)
    with pytest.raises(EditError, match=r"KB of Python: too large to edit through LibCST"):
        parse_cst("big.py", text)


def test_gl115_reads_a_file_once_for_all_its_findings(tmp_path, monkeypatch):
    from ganlint.checking import registry

    root = pasted(tmp_path, "gan_002_broken", "train.py", 6)
    plan_findings = make_plan(input_files([str(root)])).findings
    findings = [f for f in plan_findings if f.code == "GL115"]
    assert len(findings) >= 6  # one per pasted copy
    rule = registry.rule_by_code("GL115")
    module = sys.modules[type(rule).__module__]
    parses = []
    real = ast.parse

    def counting(source, *a, **k):
        if sys._getframe(1).f_code.co_filename == module.__file__:
            parses.append(len(source))
        return real(source, *a, **k)

    monkeypatch.setattr(ast, "parse", counting)
    from ganlint.fix.project import Project

    texts = {str(p): p.read_text() for p in root.iterdir()}
    project = Project(list(texts), texts, None)
    fixes = rule.fixes(project, findings, {})
    assert len(fixes) == len(findings)
    assert len(parses) == 1


def test_a_python_configs_setting_edits_are_one_pass_and_give_the_one_by_one_bytes(monkeypatch):
    from ganlint.core.types import Edit
    from ganlint.fix.edits.py_doc import PyDoc

    text = ("config = {}\nconfig['vae_lr'] = 1e-3  # rate\nconfig['kl_weight'] = 1.0\n"
            "LATENT = 64\nconfig['clip'] = None\n")
    edits = [Edit("set-setting", "c.py", target="vae_lr", new=3e-4),
             Edit("set-setting", "c.py", target="kl_weight", new=0.01),
             Edit("set-setting", "c.py", target="LATENT", new=16)]
    one_by_one = text
    for e in edits:
        one_by_one = apply_edits({"c.py": one_by_one}, [e]).get("c.py", one_by_one)
    passes = []
    real = PyDoc._parse

    def counting(self, module=None):
        passes.append(module)
        return real(self, module)

    monkeypatch.setattr(PyDoc, "_parse", counting)
    together = apply_edits({"c.py": text}, edits)["c.py"]
    assert together == one_by_one
    assert "config['vae_lr'] = 3e-4  # rate\n" in together and "LATENT = 16\n" in together
    assert len(passes) == 1  # the load; no re-read of the positions per edit


def test_a_config_that_cannot_be_loaded_is_loaded_once_for_all_its_fixes(monkeypatch):
    # fuzz input 5535: a 250 KB YAML file with a duplicate key was loaded (and refused) once per fix: 35 s
    import ganlint.fix.edits as edits_pkg
    from ganlint.core.types import Edit
    from ganlint.fix.edits import apply_fixes

    text = "lr: 0.001\nz_dim: 2\nlr: 0.002\nn_critic: 1\n"
    loads = []
    real = edits_pkg.load_doc

    def counting(path, t):
        loads.append(path)
        return real(path, t)

    monkeypatch.setattr(edits_pkg, "load_doc", counting)
    fixes = [[Edit("set-setting", "c.yaml", target=k, new=v)] for k, v in (("z_dim", 16), ("n_critic", 5), ("lr", 1e-4))]
    new, applied, failed = apply_fixes({"c.yaml": text}, fixes)
    assert new == {} and applied == []
    assert len(failed) == 3 and len({why for _, why in failed}) == 1 and "duplicate key" in failed[0][1]
    assert loads == ["c.yaml"]


def test_a_setting_value_too_long_to_write_is_refused_and_the_other_fixes_apply():
    # fuzz input 7050: a fix proposing a 50,000-entry width list took ruamel.yaml 30 s to write
    from ganlint.core.types import Edit
    from ganlint.fix.edits import MAX_VALUE_CHARS, apply_fixes

    text = "nn_disc: [64, 64]\nz_dim: 2\n"
    wide = [256] * (MAX_VALUE_CHARS // 5 + 1)
    fixes = [[Edit("set-setting", "c.yaml", target="nn_disc", new=wide)],
             [Edit("set-setting", "c.yaml", target="z_dim", new=16)]]
    new, applied, failed = apply_fixes({"c.yaml": text}, fixes)
    assert applied == [1] and new == {"c.yaml": "nn_disc: [64, 64]\nz_dim: 16\n"}
    assert "too long to write as a fix" in failed[0][1] and "nn_disc" in failed[0][1]


def test_the_discriminators_instances_are_found_in_one_walk_per_module(monkeypatch):
    # GL111's safety check, its transform and the transform weighed against its edits each asked for them:
    # a walk of the whole module every time (a third of its fix on a 30 KB script)
    import libcst

    from ganlint.fix.edits.code.cst_util import instances

    text = "D = Discriminator()\nG = Generator()\n\ndef d_step(critic, x):\n    return critic(x)\n"
    module = libcst.parse_module(text)
    walks = []
    real = libcst.Module.visit

    def counting(self, visitor):
        walks.append(type(visitor).__name__)
        return real(self, visitor)

    monkeypatch.setattr(libcst.Module, "visit", counting)
    first = instances(module, "critic")
    assert first == {"D", "critic"}
    assert instances(module, "critic") == first and len(walks) == 1
    assert instances(module, "generator") == {"G"} and len(walks) == 2  # another question: its own walk
    other = libcst.parse_module(text.replace("D = ", "netD = "))
    assert instances(other, "critic") == {"netD", "critic"} and len(walks) == 3


def _script(n: int) -> str:
    return "".join(f"def step_{i}(x):\n    y = x * {i}\n    return y\n\n\n" for i in range(n))


def test_each_fix_parses_only_the_statements_it_touches_and_still_finds_a_broken_one(monkeypatch):
    # fuzz input 6315: a fix per pasted copy, each followed by CPython's parse of the whole 420 KB file
    from ganlint.core.types import Edit, Location
    from ganlint.fix.edits import apply_fixes

    text = _script(300)
    whole = []
    real = ast.parse

    def counting(source, *a, **k):
        if len(source) >= len(text) - 100:
            whole.append(len(source))
        return real(source, *a, **k)

    monkeypatch.setattr(ast, "parse", counting)

    def fix(i: int, new: str) -> list:
        line = 5 * i + 2
        return [Edit("replace-code", "m.py", old=f"x * {i}", new=new, location=Location("m.py", line, 9))]

    fixes = [fix(i, f"x * {i} + 1") for i in range(0, 300, 3)] + [fix(150, "(x * 150")] + [fix(151, "x * 151 - 1")]
    new, applied, failed = apply_fixes({"m.py": text}, fixes)
    assert applied == list(range(100)) + [101]
    assert len(failed) == 1 and failed[0][0] == 100 and "syntax error" in failed[0][1] and ":752:" in failed[0][1]
    assert len(whole) <= 3  # the first fix's text and the broken one's (its error is CPython's, whole)
    assert "    y = x * 3 + 1\n" in new["m.py"] and "    y = x * 151 - 1\n" in new["m.py"]
    real(new["m.py"])


def test_a_python_file_over_the_edit_budget_is_refused_with_its_size():
    from ganlint.core.types import Edit, Location
    from ganlint.fix.edits.code.engine import MAX_EDIT_CHARS

    text = _script(MAX_EDIT_CHARS // 40)
    assert len(text) > MAX_EDIT_CHARS
    edit = Edit("replace-code", "m.py", old="x * 1", new="x * 2", location=Location("m.py", 7, 9))
    with pytest.raises(EditError, match=r"KB of Python: too large for fix to edit"):
        apply_edits({"m.py": text}, [edit])


def test_gl115_follows_a_module_level_script_in_one_pass_per_statement(tmp_path, monkeypatch):
    # fuzz input 6315: a training script at module level, pasted 20 times: each finding walked every
    # statement after it again (127 s at 420 KB)
    sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
    from fuzz_corpus import all_projects

    from ganlint.checking import registry
    from ganlint.fix.project import Project

    files = all_projects()["wgan_clip_json"]
    script = next(name for name in files if name.endswith(".py"))
    for name, text in files.items():
        (tmp_path / name).write_text(text * 20 if name == script else text)
    findings = [f for f in make_plan(input_files([str(tmp_path)])).findings if f.code == "GL115"]
    assert len(findings) >= 20
    rule = registry.rule_by_code("GL115")
    module = sys.modules[type(rule).__module__]
    calls = []
    real = module._names

    def counting(node):
        calls.append(1)
        return real(node)

    monkeypatch.setattr(module, "_names", counting)
    texts = {str(p): p.read_text() for p in tmp_path.iterdir()}
    before = rule.fixes(Project(list(texts), texts, None), findings, {})
    simple = sum(isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return))
                 for n in ast.walk(ast.parse(texts[str(tmp_path / script)])))
    assert len(calls) <= 3 * simple
    assert len(before) == len(findings)
