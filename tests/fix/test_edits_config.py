"""Config round-trip: only the edited values change; comments, order, quoting, flow lists, style stay."""
import json
import tomllib

import pytest

from ganlint.core.types import Edit
from ganlint.fix.edits import EditError, apply_edits, load_doc

YAML = """\
# top comment
non_linearity: Sigmoid   # hidden activation
nn_gen: "[256,256]"
nn_disc: '[32, 128]'
z_dim: 3

# training
learning_rate: 0.001
lr_sci: 1e-3
layers: [64, 64]
data:
  means: [[-2.0, 0.0], [2.0, 0.0]]
  std: 0.5
"""


def edit(kind, file, target, new=None, old=None):
    return Edit(kind, file, target=target, new=new, old=old)


def test_yaml_round_trip_keeps_everything_but_the_values():
    out = apply_edits({"c.yaml": YAML}, [
        edit("set-setting", "c.yaml", "non_linearity", "LeakyReLU"),
        edit("set-setting", "c.yaml", "nn_disc", [256, 256]),
        edit("set-setting", "c.yaml", "learning_rate", 1e-4),
        edit("set-setting", "c.yaml", "lr_sci", 1e-4),
        edit("set-setting", "c.yaml", "z_dim", 16),
        edit("set-setting", "c.yaml", "data.std", 0.7),
    ])["c.yaml"]
    assert out == YAML.replace("Sigmoid   #", "LeakyReLU #").replace("'[32, 128]'", "'[256, 256]'") \
        .replace("0.001", "0.0001").replace("1e-3", "1e-4").replace("z_dim: 3", "z_dim: 16").replace("std: 0.5", "std: 0.7")
    lines = out.splitlines()
    assert lines[0] == "# top comment"
    assert "# hidden activation" in lines[1] and "LeakyReLU" in lines[1]
    assert lines[2] == 'nn_gen: "[256,256]"'
    assert lines[3] == "nn_disc: '[256, 256]'"  # a string-list stays a string-list, same quotes and spacing
    assert "learning_rate: 0.0001" in lines and "lr_sci: 1e-4" in lines
    assert "layers: [64, 64]" in lines and "  means: [[-2.0, 0.0], [2.0, 0.0]]" in lines
    assert "# training" in lines


def test_yaml_add_remove_rename_keep_layout():
    out = apply_edits({"c.yaml": YAML}, [
        edit("add-setting", "c.yaml", "kl_anneal_steps", 1000, old="z_dim"),
        edit("remove-setting", "c.yaml", "lr_sci"),
        edit("rename-setting", "c.yaml", "layers", "hidden"),
    ])["c.yaml"]
    lines = out.splitlines()
    assert lines[lines.index("z_dim: 3") + 1] == "kl_anneal_steps: 1000"
    assert "lr_sci" not in out and "hidden: [64, 64]" in lines and "# training" in lines


def test_yaml_noop_edit_returns_nothing():
    assert apply_edits({"c.yaml": YAML}, [edit("set-setting", "c.yaml", "z_dim", 3)]) == {}


TOML = """\
# energy model
[energy]
hidden_dim = 128  # width
energy_learning_rate = 1e-3
temperature = 0.5
batch_size = 64

[train]
steps = 20000
"""


def test_toml_round_trip():
    out = apply_edits({"c.toml": TOML}, [
        edit("set-setting", "c.toml", "energy.energy_learning_rate", 1e-4),
        edit("set-setting", "c.toml", "temperature", 0.3),
        edit("add-setting", "c.toml", "grad_clip", 0.3, old="energy.temperature"),
        edit("set-setting", "c.toml", "hidden_dim", 256),
    ])["c.toml"]
    assert out == TOML.replace("1e-3", "1e-4").replace("temperature = 0.5", "temperature = 0.3\ngrad_clip = 0.3") \
        .replace("hidden_dim = 128", "hidden_dim = 256")
    assert tomllib.loads(out)["energy"]["grad_clip"] == 0.3



def test_toml_remove_rename_keep_layout():
    out = apply_edits({"c.toml": TOML}, [
        edit("remove-setting", "c.toml", "energy.batch_size"),
        edit("rename-setting", "c.toml", "hidden_dim", "width"),
    ])["c.toml"]
    assert out == TOML.replace("batch_size = 64\n", "").replace("hidden_dim = 128  # width", "width = 128  # width")
    assert list(tomllib.loads(out)["energy"]) == ["width", "energy_learning_rate", "temperature"]


@pytest.mark.parametrize("name,text,key,taken", [("c.yaml", YAML, "z_dim", "learning_rate"),
                                                ("c.toml", TOML, "energy.temperature", "batch_size")])
def test_tree_docs_share_remove_and_rename(name, text, key, taken):
    """YAML and TOML remove/rename: one implementation (edits.base.TreeDoc), the same answers."""
    doc = load_doc(name, text)
    assert doc.remove("no_such_key") is False and doc.rename("no_such_key", "x") is False
    assert doc.rename(key, key.rsplit(".", 1)[-1]) is False  # same name: nothing to do
    with pytest.raises(EditError, match="exists"):
        doc.rename(key, taken)
    assert doc.dump() == text
    assert doc.remove(key) is True and doc.get(key) is None


JSON = '{\n  "z_dim": 16,\n  "d_hidden": [128, 128],\n  "lr": 0.001,\n  "data": {"kind": "mix", "std": 0.5}\n}\n'


def test_json_minimal_textual_edits():
    out = apply_edits({"c.json": JSON}, [
        edit("set-setting", "c.json", "lr", 2e-4),
        edit("set-setting", "c.json", "d_hidden", [256, 256]),
        edit("set-setting", "c.json", "data.std", 0.7),
        edit("add-setting", "c.json", "batch_size", 64, old="lr"),
    ])["c.json"]
    assert out == ('{\n  "z_dim": 16,\n  "d_hidden": [256, 256],\n  "lr": 0.0002,\n  "batch_size": 64,\n'
                   '  "data": {"kind": "mix", "std": 0.7}\n}\n')
    out2 = apply_edits({"c.json": out}, [edit("remove-setting", "c.json", "z_dim"), edit("rename-setting", "c.json", "lr", "learning_rate")])["c.json"]
    assert json.loads(out2) == {"d_hidden": [256, 256], "learning_rate": 0.0002, "batch_size": 64, "data": {"kind": "mix", "std": 0.7}}
    assert out2.startswith('{\n  "d_hidden"')


PY = '''\
"""settings"""
import argparse
from dataclasses import dataclass

config = {}
config['vae_lr'] = 5e-4  # Adam
config['optim_alpha'] = 0.9
LAMBDA = .1
cfg = {"lr": 1e-3,
       "nn_disc": "[32,128]"}


@dataclass
class Train:
    lr: float = 0.001
    z_dim: int = 3


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--n-critic", type=int, default=4)
    return p.parse_args()
'''


def test_python_settings_every_shape():
    out = apply_edits({"s.py": PY}, [
        edit("set-setting", "s.py", "vae_lr", 3e-4),
        edit("remove-setting", "s.py", "optim_alpha"),
        edit("add-setting", "s.py", "kl_anneal_steps", 1000, old="vae_lr"),
        edit("set-setting", "s.py", "LAMBDA", 10.0),
        edit("set-setting", "s.py", "cfg.lr", 1e-4),
        edit("set-setting", "s.py", "nn_disc", [256, 256]),
        edit("set-setting", "s.py", "Train.z_dim", 16),
        edit("set-setting", "s.py", "n_critic", 5),
    ])["s.py"]
    assert "config['vae_lr'] = 3e-4  # Adam\nconfig['kl_anneal_steps'] = 1000\nLAMBDA = 10.0\n" in out
    assert "optim_alpha" not in out
    assert 'cfg = {"lr": 1e-4,\n       "nn_disc": "[256,256]"}' in out
    assert "    z_dim: int = 16\n" in out
    assert 'p.add_argument("--n-critic", type=int, default=5)' in out
    # everything else byte-identical
    assert out.splitlines()[:4] == PY.splitlines()[:4]


@pytest.mark.parametrize("name,text,line", [
    ("c.yaml", "a: 1\nb: [1, 2\n", 3),
    ("c.json", '{\n  "a": 1,\n  "b": \n}\n', 4),
    ("c.toml", "a = 1\nb = \n", 2),
    ("c.py", "x = 1\ndef f(:\n", 2),
])
def test_bad_input_is_one_error_with_file_and_line(name, text, line):
    with pytest.raises(EditError) as info:
        apply_edits({name: text}, [edit("set-setting", name, "a", 2)])
    msg = str(info.value)
    assert msg.startswith(f"{name}:") and "\n" not in msg
    assert info.value.line is not None and abs(info.value.line - line) <= 1


def test_missing_key_is_an_error():
    with pytest.raises(EditError, match="not found"):
        apply_edits({"c.yaml": YAML}, [edit("set-setting", "c.yaml", "nope", 1)])


def test_entries_carry_lines():
    doc = load_doc("c.yaml", YAML)
    lines = {e.key: e.line for e in doc.entries()}
    assert lines["z_dim"] == 5 and lines["data.std"] == 13


def test_a_python_setting_assigned_twice_is_edited_at_every_assignment():
    """Python keeps the last assignment: editing only the first changed nothing the program reads (and a
    second `fix` found the setting again). Found by the fuzzer (a settings file pasted twice)."""
    src = ("config = {}\nconfig['vae_lr'] = 5e-4\nconfig['optim_alpha'] = 0.9\nconfig['z'] = 3\n"
           "config['vae_lr'] = 5e-4\nconfig['optim_alpha'] = 0.9\n")
    out = apply_edits({"c.py": src}, [edit("set-setting", "c.py", "vae_lr", 3e-4),
                                     edit("remove-setting", "c.py", "optim_alpha"),
                                     edit("rename-setting", "c.py", "z", "z_dim")])["c.py"]
    assert out == "config = {}\nconfig['vae_lr'] = 3e-4\nconfig['z_dim'] = 3\nconfig['vae_lr'] = 3e-4\n"
    again = apply_edits({"c.py": out}, [edit("set-setting", "c.py", "vae_lr", 3e-4),
                                       edit("remove-setting", "c.py", "optim_alpha")])
    assert again == {}


def test_yaml_edit_keeps_each_lines_own_ending_in_a_mixed_endings_file():
    # fuzz input 8375: a YAML file with stray CRLF lines; the line ruamel rewrote lost its CR
    text = "loss:\n  n_critic: 1\nseed: 0\n# widths\r\nz_dim: 2\r\nlr: 0.001\n"
    new = apply_edits({"c.yaml": text}, [edit("set-setting", "c.yaml", "z_dim", 16),
                                         edit("set-setting", "c.yaml", "lr", 0.0002)])["c.yaml"]
    assert new == "loss:\n  n_critic: 1\nseed: 0\n# widths\r\nz_dim: 16\r\nlr: 0.0002\n"
