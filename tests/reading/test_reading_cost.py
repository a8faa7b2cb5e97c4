"""The reading's shortcuts must not change what it reads: the call recognisers handed only the callee names
they declare (recognise.CALL_NAMES) read the same facts as when every call goes to every recogniser, and
the InfoGAN head search by sorted parameter counts (capacity_heads.heads) answers as the pairwise comparison
it replaces. Plus counts (not times) of the work: one recogniser tuple per distinct callee name."""
from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from ganlint.reading.code import capacity_heads, recognise
from ganlint.reading.code.facts import Layer, Network
from ganlint.reading.code.reader import read_module
from ganlint.core.types import Location

ROOT = Path(__file__).resolve().parents[2]

# every kind of call the filtered recognisers act on, beside calls they must not see
_CALLS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence


class Encoder(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.fc = nn.Linear(d, 4)
        self.fc_mu = nn.Linear(4, 2)
        self.fc_logvar = nn.Linear(4, 2)

    def forward(self, x):
        h = F.relu(self.fc(x))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h).clamp(-10, 10)
        z = Normal(mu, torch.exp(0.5 * logvar)).rsample()
        return z, mu, logvar


def energy_step(model, x, temperature=0.1):
    logits = torch.div(x @ x.T, temperature)
    loss = F.cross_entropy(logits, torch.arange(len(x)))
    x.data.add_(-0.01, torch.autograd.grad(model(x).sum(), [x])[0])
    return loss + torch.diag(F.log_softmax(logits, 1)).mean()


def train(cfg, loader):
    enc, D = Encoder(cfg["d"]), nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    criterion = nn.BCELoss()
    opt = torch.optim.Adam(enc.parameters(), lr=cfg["lr"])
    for x in loader:
        z, mu, logvar = enc(x)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = criterion(D(z), torch.ones(len(x), 1)) + F.binary_cross_entropy_with_logits(z, z) + kl
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def _sources() -> list[tuple[str, str]]:
    files = sorted((ROOT / "fixtures").rglob("*.py"))
    return [("calls.py", _CALLS)] + [(str(p), p.read_text()) for p in files]


def _facts(path: str, text: str) -> dict:
    """Every fact field, in a comparable form (AST nodes by position, objects by their repr of fields)."""
    facts = read_module(path, ast.parse(text), text)

    def norm(v):
        if isinstance(v, ast.AST):
            return (type(v).__name__, getattr(v, "lineno", None), getattr(v, "col_offset", None))
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        if isinstance(v, (set, frozenset)):
            return sorted(map(repr, (norm(x) for x in v)))
        if isinstance(v, dict):
            return sorted((repr(norm(k)), repr(norm(x))) for k, x in v.items())
        if hasattr(v, "__dataclass_fields__"):
            return (type(v).__name__, [(f, norm(getattr(v, f))) for f in v.__dataclass_fields__])
        return v if isinstance(v, (str, int, float, bool, type(None))) else type(v).__name__

    return {f: repr(norm(getattr(facts, f))) for f in facts.__dataclass_fields__}


def test_filtered_call_recognisers_read_what_every_recogniser_reads(monkeypatch):
    assert recognise.CALL_NAMES, "no recogniser declares its callee names: nothing is filtered"
    sources = _sources()
    filtered = [_facts(p, t) for p, t in sources]
    assert any(f["losses"] != "[]" for f in filtered) and any(f["reparameterisations"] != "[]" for f in filtered)
    monkeypatch.setattr(recognise, "CALL_NAMES", {})  # every call to every recogniser, as before the filter
    recognise.CALLS_BY_NAME.clear()
    try:
        unfiltered = [_facts(p, t) for p, t in sources]
    finally:
        recognise.CALLS_BY_NAME.clear()  # the filtered tuples again for the tests after this one
    for (path, _), a, b in zip(sources, filtered, unfiltered):
        assert a == b, path


def test_one_recogniser_tuple_per_distinct_callee_name():
    recognise.CALLS_BY_NAME.clear()
    text = "import torch\n" + "".join(f"y = torch.exp(x{i}) + torch.relu(x{i}) + Block(x{i})\n" for i in range(50))
    read_module("many.py", ast.parse(text), text)
    assert set(recognise.CALLS_BY_NAME) == {"exp", "relu", "Block"}  # 150 calls, 3 names: 3 tuples made
    assert recognise.CALLS_BY_NAME["relu"] == tuple(
        r for r in recognise.ON_CALL if r not in recognise.CALL_NAMES)  # only the recognisers of every call
    # and the VAE's and the energy model's (NCE's exp(sim / tau))
    assert len(recognise.CALLS_BY_NAME["exp"]) == len(recognise.CALLS_BY_NAME["relu"]) + 2


def _pairwise_heads(networks):
    """capacity_heads.heads as it was written before: every body against every head of its output width."""
    out_ids, bodies = set(), {}
    for body in networks:
        w = body.layer_widths
        if body.role not in ("critic", None) or not w or not isinstance(w[-1], int) or w[-1] < capacity_heads.FEATURE_WIDTH:
            continue
        fed = [h for h in networks if h.role != "generator" and h.input_layer is not None and h.layer_widths
               and isinstance(h.input_layer.in_width, int) and h.input_layer.in_width == w[-1] and h is not body
               and h.param_count is not None and body.param_count is not None and h.param_count < body.param_count]
        if not fed:
            continue
        out_ids |= {id(h) for h in fed}
        scorers = [h for h in fed if h.role == "critic"]
        if body.role == "critic":
            bodies[id(body)] = (id(body), id(scorers[0])) if len(scorers) == 1 else None
    for i in out_ids:
        bodies.pop(i, None)
    return out_ids, bodies


def _net(rng: random.Random, i: int) -> Network:
    loc = Location("m.py", i + 1, 1)
    first = Layer(kind="Linear", location=loc, in_width=rng.choice([8, 16, 32, None]))
    net = Network(name=f"N{i}", role=rng.choice(["critic", "generator", None, "encoder"]), location=loc)
    net.input_layer = first if rng.random() < 0.9 else None
    net.layer_widths = rng.choice([[8], [16], [32], [4], [16, 32], [], None])
    net.layer_kinds = ["Linear"] * len(net.layer_widths or [])
    net.param_count = rng.choice([None, *range(50, 60)])
    return net


@pytest.mark.parametrize("seed", range(30))
def test_head_search_answers_as_the_pairwise_comparison(seed):
    rng = random.Random(seed)
    nets = [_net(rng, i) for i in range(rng.randint(1, 60))]
    head_ids, bodies = capacity_heads.heads(nets)
    want_heads, want_bodies = _pairwise_heads(nets)
    assert head_ids == want_heads
    assert set(bodies) == set(want_bodies)
    by_location = {n.location: n for n in nets}
    for key, critic in bodies.items():
        expected = want_bodies[key]
        if expected is None:
            assert critic is None
        else:  # the body with its one critic-named head: the head's widths appended to the body's
            body = next(n for n in nets if id(n) == expected[0])
            head = next(n for n in nets if id(n) == expected[1])
            assert critic.layer_widths == body.layer_widths + head.layer_widths
            assert by_location[critic.location] is body
