"""Fuzz the code reader and the code-fact rules: any parseable mutation of the fixtures' code is read
without an exception, and every rule runs on the facts."""
from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlint.checking.runner import run_rules
from ganlint.reading.code import read_code
from ganlint.reading.facts import ProjectFacts

SOURCES = [p.read_text() for p in sorted((Path(__file__).resolve().parents[2] / "fixtures").glob("*/*.py"))]
TOKENS = ["torch.sigmoid(x)", "nn.Sigmoid()", "D(G(z))", "log_var.exp()", "self.act(raw)", "cfg['k']",
          "torch.autograd.grad(a, b)", "p.data.clamp_(-1, 1)", "getattr(nn, name)()", "-E / tau", "1 - D(fake)",
          "torch.log1p(-D(fake))", "min(w, step / T)", "(x - m) / s", "np.load('x')", "random.random()"]


def _check(text: str) -> None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    cf = read_code("fuzz.py", tree, text)
    facts = ProjectFacts(code=cf, files=["fuzz.py"], texts={"fuzz.py": text})
    cf.families()
    _ = cf.energy_heads, cf.networks, cf.penalties
    run_rules(facts, select=["GL0", "GL1", "GL2", "GL3"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SOURCES), st.data())
def test_line_deletions_and_substitutions(source, data):
    lines = source.splitlines()
    keep = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    out = []
    for line, k in zip(lines, keep):
        if not k:
            continue
        if data.draw(st.integers(0, 9)) == 0 and "=" in line:
            head = line.split("=", 1)[0]
            line = f"{head}= {data.draw(st.sampled_from(TOKENS))}"
        out.append(line)
    _check("\n".join(out) + "\n")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(TOKENS + ["x", "self.fc(h)", "0.5", "cfg.lr"]), min_size=1, max_size=6),
       st.sampled_from(["+", "*", "-", "/"]))
def test_expressions_in_a_forward(parts, op):
    body = f" {op} ".join(parts)
    _check(
        "import torch\nimport torch.nn as nn\n"
        "class Critic(nn.Module):\n"
        "    def __init__(self, name):\n"
        "        super().__init__()\n"
        "        self.act = getattr(nn, name)()\n"
        "        self.fc = nn.Linear(2, 2)\n"
        "    def forward(self, x):\n"
        f"        h = {body}\n"
        f"        return self.fc(h) {op} {parts[0]}\n"
    )
