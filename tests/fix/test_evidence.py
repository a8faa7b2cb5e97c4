"""Runtime evidence -> the setting that decides it (ganlint/fix/evidence.py), with real 1-step builds."""
import shutil
from pathlib import Path

from ganlint.fix import input_files
from ganlint.fix.evidence import runtime_repairs, spellings
from ganlint.fix.planner import make_plan
from ganlint.fix.writer import common_root

HELDOUT = Path(__file__).resolve().parent / "heldout"


def test_spellings_follow_the_users_style():
    assert spellings("Sigmoid")[0] == "LeakyReLU" and spellings("nn.Tanh")[0] == "nn.LeakyReLU"
    assert spellings("sigmoid")[0] == "leaky_relu"


def test_a_saturated_sigmoid_is_traced_to_the_yaml_key_that_chose_it(tmp_path):
    d = tmp_path / "p"
    shutil.copytree(HELDOUT / "wgan_gp_helper_sigmoid", d)
    plan = make_plan(input_files([str(d)]))
    assert not [f for f in plan.fixes if any(e.target == "gen_act" for e in f.edits)]  # check missed it
    gl501 = {"code": "GL501", "evidence": {"network": "generator", "network_class": "PointGenerator",
                                           "module_path": "body.1", "layer_index": 1, "activation": "Sigmoid",
                                           "saturated_fraction": 0.8, "threshold": 5.0}}
    fixes, notes = runtime_repairs(plan, plan.texts, [gl501], {"seed": 0}, common_root(plan.files))
    assert [(e.target, e.new) for fx in fixes for e in fx.edits] == [("gen_act", "leaky_relu")]
    assert fixes[0].origin == "runtime" and fixes[0].stage == 1 and "body.1" in fixes[0].message
    # a layer no setting chooses (the critic's LeakyReLU is no Sigmoid): no edit, a note saying why
    ghost = {"code": "GL501", "evidence": {**gl501["evidence"], "network": "critic", "activation": "Tanh"}}
    fixes, notes = runtime_repairs(plan, plan.texts, [ghost], {"seed": 0}, common_root(plan.files))
    assert fixes == [] and "not repaired automatically" in notes[0]
