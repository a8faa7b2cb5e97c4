"""A plan's fixes share one parsed document per file (cost linear in the file's size, not size x fixes), and
give the same bytes as the fixes applied one by one."""
import shutil
from pathlib import Path

import pytest

from ganlint.core.types import Edit
from ganlint.fix import apply_plan, input_files
from ganlint.fix.edits import EditError, apply_edits, apply_fixes
from ganlint.fix.planner import Plan, PlannedFix, make_plan

ROOT = Path(__file__).resolve().parents[2]
BROKEN = sorted(p.name for p in (ROOT / "fixtures").iterdir() if p.name.endswith("_broken"))


def one_by_one(texts, fixes):
    """The reference: each fix applied on the text the previous one left (a parse and a dump per fix)."""
    cur, applied = dict(texts), []
    for i, edits in enumerate(fixes):
        try:
            cur.update(apply_edits(cur, edits))
        except EditError:
            continue
        applied.append(i)
    return {p: t for p, t in cur.items() if t != texts[p]}, applied


@pytest.mark.parametrize("name", BROKEN)
def test_a_plan_gives_the_bytes_of_its_fixes_applied_one_by_one(tmp_path, name):
    shutil.copytree(ROOT / "fixtures" / name, tmp_path / name)
    plan = make_plan(input_files([str(tmp_path / name)]))
    chosen = sorted(plan.fixes, key=lambda f: (f.stage, f.code))
    assert len(chosen) >= 2
    res = apply_plan(plan)  # every stage
    want, applied = one_by_one(plan.texts, [f.edits for f in chosen])
    assert res.new_texts == want
    assert [chosen.index(f) for f in res.applied] == applied


def big_config(n_extra: int) -> str:
    head = (ROOT / "fixtures" / "wgan_gp_000_broken" / "config.yaml").read_text()
    extra = "".join(f"  key_{i}: value {i}  # note {i}\n" for i in range(n_extra))
    return head + "\nextras:\n" + extra


def test_each_file_is_parsed_once_however_many_fixes_edit_it(tmp_path, monkeypatch):
    import ganlint.fix.edits as edits_pkg
    import ganlint.fix.edits.yaml_doc as yaml_doc

    for f in ("model.py", "train.py"):
        shutil.copy(ROOT / "fixtures" / "wgan_gp_000_broken" / f, tmp_path / f)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(big_config(3000))
    plan = make_plan(input_files([str(tmp_path)]))
    on_cfg = [f for f in plan.fixes if any(e.file == str(cfg) for e in f.edits)]
    assert len(on_cfg) >= 4  # GL001, GL102, GL104, GL105, GL106, GL103 all edit config.yaml

    loads, big_parses = [], []
    real_load_doc, real_yaml = edits_pkg.load_doc, yaml_doc._yaml

    def counting_load_doc(path, text):
        loads.append(path)
        return real_load_doc(path, text)

    def counting_yaml():
        y = real_yaml()
        load = y.load

        def counted(text):
            if len(text) > 10_000:  # the whole file, not a one-value snippet
                big_parses.append(len(text))
            return load(text)

        y.load = counted
        return y

    monkeypatch.setattr(edits_pkg, "load_doc", counting_load_doc)
    monkeypatch.setattr(yaml_doc, "_yaml", counting_yaml)
    res = apply_plan(plan)
    assert {f.code for f in on_cfg} <= {f.code for f in res.applied}
    assert loads.count(str(cfg)) == 1
    # the document itself, and once more the merge of its untouched lines (dump's check): not once per fix
    assert 1 <= len(big_parses) <= 2
    assert "  key_2999: value 2999  # note 2999\n" in res.new_texts[str(cfg)]


def edit(kind, target, new=None, old=None, file="c.yaml"):
    return Edit(kind, file, target=target, new=new, old=old)


YAML = "# head\nlr: 0.001   # rate\nz_dim: 3\nbeta1: 0.9\n"


def test_a_fix_that_cannot_apply_leaves_nothing_of_itself():
    fixes = [[edit("set-setting", "lr", 1e-4)],
             [edit("set-setting", "z_dim", 16), edit("set-setting", "no_such_key", 1)],  # half applies, then fails
             [edit("set-setting", "beta1", 0.5)]]
    new, applied, failed = apply_fixes({"c.yaml": YAML}, fixes)
    assert applied == [0, 2]
    assert [i for i, _ in failed] == [1] and "no_such_key" in failed[0][1]
    assert new["c.yaml"] == "# head\nlr: 0.0001  # rate\nz_dim: 3\nbeta1: 0.5\n"
    assert (new, applied) == one_by_one({"c.yaml": YAML}, fixes)


def test_a_fix_on_a_key_an_earlier_fix_added_reads_it_as_written():
    fixes = [[edit("add-setting", "gp_weight", 10.0, old="z_dim")],
             [edit("set-setting", "gp_weight", 5.0)],
             [edit("rename-setting", "beta1", "adam_beta1")],
             [edit("set-setting", "adam_beta1", 0.5)]]
    new, applied, _ = apply_fixes({"c.yaml": YAML}, fixes)
    assert applied == [0, 1, 2, 3]
    assert new["c.yaml"] == "# head\nlr: 0.001   # rate\nz_dim: 3\ngp_weight: 5.0\nadam_beta1: 0.5\n"
    assert (new, applied) == one_by_one({"c.yaml": YAML}, fixes)


def test_mixed_code_and_setting_edits_of_one_python_file_keep_their_order():
    src = "import torch.nn as nn\nLR = 0.001\nact = nn.Sigmoid()\n"
    loc = __import__("ganlint.core.types", fromlist=["Location"]).Location("m.py", 3, 7, 3, 19)
    fixes = [[Edit("set-setting", "m.py", target="LR", new=1e-4)],
             [Edit("replace-code", "m.py", old="nn.Sigmoid()", new="nn.LeakyReLU(0.2)", location=loc)],
             [Edit("set-setting", "m.py", target="LR", new=2e-4)]]
    new, applied, _ = apply_fixes({"m.py": src}, fixes)
    assert new["m.py"] == "import torch.nn as nn\nLR = 0.0002\nact = nn.LeakyReLU(0.2)\n"
    assert (new, applied) == one_by_one({"m.py": src}, fixes)


def test_a_plan_whose_fixes_all_fail_changes_nothing():
    plan = Plan(None, ["c.yaml"], {"c.yaml": YAML},
                fixes=[PlannedFix("GL104", 2, "set lr", "", [edit("set-setting", "missing", 1)])])
    res = apply_plan(plan)
    assert res.new_texts == {} and res.applied == [] and len(res.failed) == 1


BIG_YAML = ("# head\na: 1   # c1\nb: 0.001   # c2\nc: [1, 2]  # c3\nd: 12345  # c4\ne: 3\nf: 1e-3 # x\n"
            "g: Sigmoid  # act\nh: [1,2]\nq: 'quoted'\nt: !!int 7\nn:\n  m: 5   # deep\n  k: [0.5, 1.5]\n"
            "extras:\n" + "".join(f"  key_{i}: value {i}  # note {i}\n" for i in range(30)))


def fast_and_round_trip(monkeypatch, texts, fixes):
    """The fixes applied with every YAML file spliced (as a big one is) and with ruamel.yaml's round trip."""
    import ganlint.fix.edits.yaml_fast as yaml_fast

    monkeypatch.setattr(yaml_fast, "FAST_CHARS", 0)
    fast = apply_fixes(texts, fixes)
    monkeypatch.setattr(yaml_fast, "FAST_CHARS", 10**9)
    return fast, apply_fixes(texts, fixes)


@pytest.mark.parametrize("edits", [
    [("a", 123456789)], [("b", 1e-4)], [("c", [256, 256, 256])], [("d", 1)], [("e", 4.5)], [("f", 1e-4)],
    [("g", "LeakyReLU")], [("h", [3, 4])], [("n.m", 10)], [("a", 2.5)], [("b", 5)], [("n.k", [0.25, 2.0])],
    [("g", "a b")], [("q", "other")], [("t", 8)], [("g", True)],  # not splices: the round trip, same bytes
    [("a", 2), ("b", 2e-4), ("g", "ReLU"), ("n.m", 7)],
])
def test_a_big_yaml_file_gets_the_round_trips_bytes_without_its_cost(monkeypatch, edits):
    """Over 64 KB, value edits are text splices (yaml_fast): the same bytes as ruamel.yaml's round trip."""
    import ganlint.fix.edits.yaml_fast as yaml_fast
    from ganlint.fix.edits import load_doc

    fixes = [[edit("set-setting", k, v)] for k, v in edits]
    fast, round_trip = fast_and_round_trip(monkeypatch, {"c.yaml": BIG_YAML}, fixes)
    assert fast == round_trip and fast[1] == list(range(len(fixes)))
    monkeypatch.setattr(yaml_fast, "FAST_CHARS", 0)
    doc = load_doc("c.yaml", BIG_YAML)
    for k, v in edits:
        doc.set(k, v)
    spliced = doc.fast is not None  # splices all the way, or the round trip took over
    assert spliced == all(k not in ("q", "t") and not isinstance(v, bool) and v != "a b" for k, v in edits)


def test_a_structural_edit_after_splices_goes_through_the_round_trip(monkeypatch):
    fixes = [[edit("set-setting", "b", 1e-4)], [edit("add-setting", "gp_weight", 10.0, old="e")],
             [edit("remove-setting", "h")], [edit("set-setting", "a", 3)]]
    fast, round_trip = fast_and_round_trip(monkeypatch, {"c.yaml": BIG_YAML}, fixes)
    assert fast[1] == [0, 1, 2, 3]
    assert "b: 0.0001  # c2\n" in fast[0]["c.yaml"] and "gp_weight: 10.0\n" in fast[0]["c.yaml"]
    assert "\nh:" not in fast[0]["c.yaml"] and "a: 3   # c1\n" in fast[0]["c.yaml"]
    assert fast == round_trip


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",  # an alias shares the node: a splice would change both
    "a: 1\na: 2\n",  # a duplicate key: ruamel.yaml refuses it, so must this
    "<<: {a: 1}\nb: 2\n",  # a merge key
    "---\na: 1\n---\nb: 2\n",  # a stream of documents
    "s: {a: 1, b: 2}\na: 1\n",  # a flow mapping
])
def test_a_document_the_splices_cannot_read_exactly_goes_through_the_round_trip(monkeypatch, text):
    fixes = [[edit("set-setting", "a", 5)]]
    fast, round_trip = fast_and_round_trip(monkeypatch, {"c.yaml": text}, fixes)
    assert fast == round_trip


def test_a_250_kb_flow_list_is_edited_in_about_a_second():
    """Fuzz input 130: a 250 KB flow list took ruamel.yaml 5 s to load, 3 s to dump and 5 s to check the
    dump, for two value edits (31 s CPU in all): now no round trip at all."""
    import time

    text = "z_dim: 2\nnn_gen: [" + ", ".join(["256"] * 50000) + "]\nnn_disc: [64, 64]\n"
    start = time.process_time()
    new, applied, _ = apply_fixes({"c.yaml": text}, [[edit("set-setting", "z_dim", 16)],
                                                     [edit("set-setting", "nn_disc", [256] * 3)]])
    assert applied == [0, 1]
    assert new["c.yaml"] == text.replace("z_dim: 2", "z_dim: 16").replace("[64, 64]", "[256, 256, 256]")
    assert time.process_time() - start < 4.0  # the round trip alone was over 13 s


def test_code_edits_are_checked_by_pythons_parser_not_a_libcst_parse_per_fix(monkeypatch):
    """Fuzz input 2745 (a training script pasted 13 times): a finding per copy, a textual fix each, and a
    LibCST parse of the whole file after each of them (19 s CPU)."""
    import libcst

    from ganlint.core.types import Location

    copies = 30
    src = "".join(f"d{i} = torch.sigmoid(x)\n" for i in range(copies))
    fixes = [[Edit("replace-code", "t.py", old="torch.sigmoid(x)", new="x", location=Location("t.py", i + 1, 6))]
             for i in range(copies)]
    parses = []
    real = libcst.parse_module
    monkeypatch.setattr(libcst, "parse_module", lambda *a, **k: parses.append(1) or real(*a, **k))
    new, applied, _ = apply_fixes({"t.py": src}, fixes)
    assert applied == list(range(copies)) and new["t.py"] == "".join(f"d{i} = x\n" for i in range(copies))
    assert parses == []
    broken = [[Edit("replace-code", "t.py", old="torch.sigmoid(x)", new="(x", location=Location("t.py", 1, 6))]]
    new, applied, failed = apply_fixes({"t.py": src}, broken)
    assert new == {} and applied == [] and "t.py:1: syntax error" in failed[0][1]


def test_edits_of_one_fix_moved_by_an_earlier_fix_land_on_distinct_copies():
    """Fuzz input 3695 (a model pasted 11 times): an earlier fix inserted lines, so GL002's 11 `betas=` edits
    were relocated by their text, two onto one call: 'syntax error: unmatched )', and a second run fixed it."""
    from ganlint.core.types import Location

    call = "opt = Adam(p, lr=lr)"
    src = "import torch\n" + "".join(f"def f{i}():\n    {call}\n" for i in range(6))
    insert = [Edit("insert-code", "m.py", old="import torch", new="x = 1\ny = 2", location=Location("m.py", 1, 1))]
    betas = [Edit("replace-code", "m.py", old="Adam(p, lr=lr)", new="Adam(p, lr=lr, betas=(0.5, 0.999))",
                  location=Location("m.py", 2 * i + 3, 11)) for i in range(6)]
    new, applied, failed = apply_fixes({"m.py": src}, [insert, betas])
    assert applied == [0, 1], failed
    assert new["m.py"].count("betas=(0.5, 0.999))") == 6 and new["m.py"].count("betas") == 6


def test_a_code_edit_whose_line_an_earlier_fix_removed_is_found_by_its_text():
    """Fuzz input 3500: earlier fixes made the file shorter, GL115's edit pointed past its end ("edit location
    line 847 is outside the file"), and only a second run applied it."""
    from ganlint.core.types import Location

    src = "a = 1\nb = 2\nc = 3\nerr = D(fake)\n"
    remove = [Edit("replace-code", "m.py", old="a = 1\nb = 2\nc = 3\n", new="", location=Location("m.py", 1, 1, 4, 1))]
    detach = [Edit("replace-code", "m.py", old="D(fake)", new="D(fake.detach())", location=Location("m.py", 40, 7))]
    new, applied, failed = apply_fixes({"m.py": src}, [remove, detach])
    assert applied == [0, 1], failed
    assert new["m.py"] == "err = D(fake.detach())\n"


def test_a_code_edit_follows_its_line_when_earlier_fixes_moved_it_not_the_nearest_copy():
    """Fuzz input 3500 (a GAN script pasted 14 times): an earlier fix removed a line per copy, so each
    GL115 edit's planned line drifted by one more line per copy, and relocating by text picked the
    generator step's `netD(fake)`, detaching the generator's own loss."""
    from ganlint.core.types import Location

    block = ["x = nn.Sigmoid()", "errD = crit(netD(fake))", "y = 0", "errG = crit(netD(fake))"]
    copies = 8
    src = "\n".join(block * copies) + "\n"
    drop = [Edit("replace-code", "t.py", old="x = nn.Sigmoid()\n", new="", location=Location("t.py", 4 * i + 1, 1, 4 * i + 2, 1))
            for i in range(copies)]
    detach = [[Edit("replace-code", "t.py", old="netD(fake)", new="netD(fake.detach())",
                    location=Location("t.py", 4 * i + 2, 14))] for i in range(copies)]
    new, applied, failed = apply_fixes({"t.py": src}, [drop, *detach])
    assert applied == list(range(copies + 1)), failed
    lines = new["t.py"].splitlines()
    assert [ln for ln in lines if ln.startswith("errD")] == ["errD = crit(netD(fake.detach()))"] * copies
    assert [ln for ln in lines if ln.startswith("errG")] == ["errG = crit(netD(fake))"] * copies
