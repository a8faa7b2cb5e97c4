"""The shared syntax-tree walks give ast.walk's nodes in ast.walk's order, and `check` stays linear in size."""
from __future__ import annotations

import ast
import time
from pathlib import Path

from ganlint.checking.runner import check_paths
from ganlint.reading import astwalk
from ganlint.reading.astwalk import calls_in, calls_on_lines, statements_in, walk, walk_code

ROOT = Path(__file__).resolve().parents[2]
_MARKERS = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)

# every kind of node the walks must enter: comprehensions, lambdas, f-strings, match, try/star, decorators,
# keyword defaults, starred targets, walrus, slices, await/yield, global/import aliases
SNIPPET = '''
import torch.nn as nn, torch
from torch import optim as o
@decorate(lambda x=1, *a, k=-2, **kw: x if a else not k)
class G(nn.Module, metaclass=M):
    z: int = 3
    def forward(self, x, /, y=None, *, scale=f"{1 + 2!r:>{width}}"):
        global counter
        a, *rest = [v ** 2 for v in x if v > 0 and v < 9 or v in {1, 2}]
        b = {k: (yield k) for k in range(3)}
        if (n := len(rest)) >= 2:
            x[1:n:2] += -x[::-1] @ torch.ones(3)
        with torch.no_grad() as ng, open("f") as fh:
            del fh
        try:
            pass
        except* ValueError as e:
            raise RuntimeError() from e
        match x:
            case [1, *others] | {"k": _} if others:
                return await self.net(x)
            case G(z=3):
                return ~x << 2
'''


def _sources() -> list[tuple[str, ast.AST]]:
    trees = [("snippet", ast.parse(SNIPPET))]
    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        trees.append((str(path), ast.parse(path.read_text(encoding="utf-8"))))
    return trees


def test_walk_is_ast_walk_in_order():
    for name, tree in _sources():
        expected = list(ast.walk(tree))
        got = list(walk(tree))
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected)), name


def test_walk_code_is_ast_walk_less_the_marker_leaves():
    for name, tree in _sources():
        expected = [n for n in ast.walk(tree) if not isinstance(n, _MARKERS)]
        got = list(walk_code(tree))
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected)), name
        assert any(isinstance(n, _MARKERS) for n in ast.walk(tree)), name  # the case is real: markers exist


def test_calls_in_are_ast_walks_calls_in_order():
    for name, tree in _sources():
        expected = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        got = calls_in(tree)
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected)), name


def test_statements_in_are_ast_walks_statements_in_order():
    for name, tree in _sources():
        expected = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
        got = statements_in(tree)
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected)), name
    handlers = statements_in(ast.parse(SNIPPET).body[-1])  # the class: under except*, match cases, with
    assert {type(n).__name__ for n in handlers} >= {"Raise", "Return", "Delete", "Global", "AugAssign"}


def test_each_forward_is_walked_once_per_read(monkeypatch, tmp_path):
    """forward()'s node list serves both the activation trace and the input-layer check (two walks before)."""
    started: dict[int, int] = {}
    plain = astwalk._breadth_first

    def counting(node, fields_of, skip):
        if isinstance(node, ast.FunctionDef) and node.name == "forward":
            started[id(node)] = started.get(id(node), 0) + 1
        return plain(node, fields_of, skip)

    monkeypatch.setattr(astwalk, "_breadth_first", counting)
    unit = ("class D{i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.net = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))\n\n"
            "    def forward(self, x):\n        return self.net(x)\n\n")
    path = tmp_path / "nets.py"
    path.write_text("import torch.nn as nn\n\n" + "".join(unit.format(i=i) for i in range(5)), encoding="utf-8")
    check_paths([str(path)])
    assert len(started) == 5 and set(started.values()) == {1}, started


def test_calls_on_lines_keep_every_call_written_on_those_lines_in_order():
    checked = 0
    for name, tree in _sources():
        every = calls_in(tree)
        lines = sorted({c.lineno for c in every if c.lineno % 3 == 0})
        if not lines:
            continue
        checked += 1
        got = calls_on_lines(tree, lines)
        position = {id(c): i for i, c in enumerate(every)}
        order = [position[id(c)] for c in got]
        assert order == sorted(order), name  # calls_in's order, nothing added
        wanted = [c for c in every if c.lineno in lines]
        assert all(id(c) in {id(g) for g in got} for c in wanted), name
        assert len(got) < len(every) or len(every) < 10, name  # statements on other lines were left out
    assert checked >= 5
    decorated = ast.parse("import click\n\n@click.option('--lr', default=1e-3)\ndef main(lr):\n    run(lr)\n")
    assert [c.func.attr for c in calls_on_lines(decorated, [3])] == ["option"]  # a def's lineno is after it


def _long_training_function(stages: int) -> str:
    """One training loop whose body repeats with the same names (loss, fake, opt steps) `stages` times:
    the shape that made last-assignment lookups quadratic."""
    head = "import torch\n\ndef train(cfg, gen, critic, opt_g, opt_d, loader):\n    for step, real in enumerate(loader):\n"
    unit = (
        "        z = torch.randn(real.size(0), cfg['z_dim']) * {k}\n"
        "        fake = gen(z)\n"
        "        loss_d = critic(fake.detach()).mean() - critic(real).mean()\n"
        "        opt_d.zero_grad()\n"
        "        loss_d.backward()\n"
        "        opt_d.step()\n"
        "        loss_g = -critic(fake).mean()\n"
        "        opt_g.zero_grad()\n"
        "        loss_g.backward()\n"
        "        opt_g.step()\n"
    )
    return head + "".join(unit.format(k=i % 7 + 1) for i in range(stages))


def _cpu_seconds(path: Path) -> float:
    best = float("inf")
    for _ in range(2):
        t = time.process_time()
        check_paths([str(path)])
        best = min(best, time.process_time() - t)
    return best


def test_check_time_grows_linearly_with_a_long_function(tmp_path):
    small, large = tmp_path / "small.py", tmp_path / "large.py"
    small.write_text(_long_training_function(150), encoding="utf-8")  # about 50 KB
    large.write_text(_long_training_function(600), encoding="utf-8")  # 4x that
    check_paths([str(small)])  # imports and first-use caches out of the measurement
    ratio = _cpu_seconds(large) / _cpu_seconds(small)
    # linear: about 4 (4x the input); quadratic lookups measured 10-17 here before they were indexed
    assert ratio < 7.0, f"4x the input took {ratio:.1f}x the CPU time"


def _bce_gans(units: int) -> str:
    """Discriminators ending in Sigmoid, each with its own `criterion_i = nn.BCELoss()`: a loss object per
    class, the shape whose unused-object test scanned the whole project once per object (quadratic)."""
    unit = (
        "class D{i}(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.net = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1), nn.Sigmoid())\n\n"
        "criterion_{i} = nn.BCELoss()\n\n"
    )
    return "import torch.nn as nn\n\n" + "".join(unit.format(i=i) for i in range(units))


def test_check_time_grows_linearly_with_many_loss_objects(tmp_path):
    small, large = tmp_path / "small.py", tmp_path / "large.py"
    small.write_text(_bce_gans(150), encoding="utf-8")  # about 40 KB
    large.write_text(_bce_gans(600), encoding="utf-8")  # 4x that
    check_paths([str(small)])
    ratio = _cpu_seconds(large) / _cpu_seconds(small)
    assert ratio < 7.0, f"4x the input took {ratio:.1f}x the CPU time"
