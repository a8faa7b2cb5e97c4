"""Shortcuts of the reading that skip work which cannot find anything must read what the full work reads, and
skip it where they say (counts of walks, not times): the latent-head search only in classes that write two
Linear calls, the helper-binding walk only in modules with an imported helper or a function of their own,
the data recogniser's tests only for callee names some test can match, and code_children as
ast.iter_child_nodes less the marker leaves."""
from __future__ import annotations

import ast

from test_reading_cost import _facts, _sources

from ganlint.reading.astwalk import code_children
from ganlint.reading.code.construct import bound_roles
from ganlint.reading.code.reader import read_module
from ganlint.reading.code.recognise import data, latent_heads

_MARKERS = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)

_BLOCKS = "".join(f'''
class Block{i}(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x)
''' for i in range(5))

_ENCODER = '''
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc_mu = nn.Linear(32, 8)
        self.fc_logvar = nn.Linear(32, 8)

    def forward(self, h):
        return self.fc_mu(h), self.fc_logvar(h)
'''


def _read(text: str):
    return read_module("m.py", ast.parse(text), text)


def test_latent_heads_walk_only_the_classes_that_write_two_linear_calls(monkeypatch):
    walked = []
    real = latent_heads.statements_in
    monkeypatch.setattr(latent_heads, "statements_in", lambda node: walked.append(node.name) or real(node))
    facts = _read("import torch.nn as nn\n" + _BLOCKS + _ENCODER)
    assert walked == ["__init__", "forward"]  # the Encoder's methods only: each Block writes one Linear
    assert [h.value for h in facts.latent_heads] == [8]  # and the heads are still found
    walked.clear()
    _read("import torch.nn as nn\n" + _BLOCKS.replace("self.fc = nn.Linear(width, width)",
                                                      "self.fc = nn.Linear(width, width)\n        self.fc2 = nn.Linear(2, 2)"))
    assert len(walked) == 10  # two Linear calls in a class: searched (no mean/log-variance pair: nothing found)


def test_helper_binds_walk_only_modules_with_an_imported_helper_or_own_function(monkeypatch):
    walks = []
    real = bound_roles._statements
    monkeypatch.setattr(bound_roles, "_statements", lambda body: walks.append(len(body)) or real(body))
    _read("import torch.nn as nn\n" + _BLOCKS + "net = Block0()\n")
    assert walks == []  # classes and constructions only: no statement can bind through a helper
    _read("import torch.nn as nn\n" + _BLOCKS + "def build():\n    return Block0()\n\nnet = build()\n")
    assert len(walks) == 1
    walks.clear()
    _read("import torch.nn as nn\nfrom models import get_models\n" + _BLOCKS + "net, d = get_models(4)\n")
    assert len(walks) == 1


def test_data_recogniser_name_gate_reads_what_every_test_reads(monkeypatch):
    extra = ("data.py", "import numpy as np\nimport torch\nimport random\n"
             "def forward(self, x):\n    np.random.seed(0)\n    random.shuffle(x)\n    noise = torch.randn(3)\n"
             "    return x.sub(x.mean()).div(x.std()) + noise\n"
             "train = np.load('x.npy')\nds = datasets.MNIST('.', transform=t)\nrng = np.random.default_rng(1)\n")
    sources = _sources() + [extra]
    gated = [_facts(p, t) for p, t in sources]
    assert any(f["seeds"] != "[]" for f in gated) and any(f["normalizations"] != "[]" for f in gated)
    assert any(f["random_calls"] != "[]" for f in gated) and any(f["data_loads"] != "[]" for f in gated)
    monkeypatch.setattr(data, "_may_act", lambda name, ln: True)  # every test for every call, as before
    for (path, _), a, (_, text) in zip(sources, gated, sources):
        assert a == _facts(path, text), path


def test_code_children_are_iter_child_nodes_less_the_marker_leaves():
    from test_astwalk import _sources as walk_sources

    for name, tree in walk_sources():
        for node in ast.walk(tree):
            expected = [c for c in ast.iter_child_nodes(node) if not isinstance(c, _MARKERS)]
            got = code_children(node)
            assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected)), name
