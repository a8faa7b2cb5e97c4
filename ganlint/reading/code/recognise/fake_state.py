"""Whether an expression is a generated batch, and whether it still carries the generator's graph: G(z),
a helper or method returning it, a decoder's output (VAE-GAN), `self(z)` of a generator-wrapping Lightning
module, and what keeps or drops the graph on the way (`.detach()`, `.data`, `torch.cat`, `torch.Tensor(t)`)."""
from __future__ import annotations

import ast

from ganlint.reading.code.astutil import call_name, last
from ganlint.reading.code.recognise.fake_sources import generator_method, is_generator_class, later_helper_returns_fake
from ganlint.reading.code.recognise.lightning import forward_returns_generated


def fake_state(r, fn, node: ast.AST, line: int, ng: bool, depth: int = 0) -> tuple[str | None, ast.AST | None]:
    """None (not a generated batch), "live" (G(z) carrying gradients) or "detached"."""
    if depth > 8 or node is None:
        return None, None
    if isinstance(node, ast.Attribute) and node.attr == "data":  # G(z).data: outside the graph
        st, where = fake_state(r, fn, node.value, line, ng, depth + 1)
        return ("detached", where) if st else (None, None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ("detach", "detach_"):
            st, where = fake_state(r, fn, node.func.value, line, ng, depth + 1)
            return ("detached", where) if st else (None, None)
        if node.func.attr in ("view", "reshape", "squeeze", "unsqueeze", "to", "float", "requires_grad_", "cuda",
                              "contiguous", "clone"):
            return fake_state(r, fn, node.func.value, line, ng, depth + 1)
    if isinstance(node, ast.Call) and (r.role_of_callee(node) in ("generator", "decoder") or _helper_returns_fake(r, fn, node)
                                       or last(call_name(node)) == "decode" or generator_method(r, node)):
        # a VAE-GAN's fake is its decoder's output: x_tilde = decoder(z)
        return ("detached" if ng else "live"), node
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "self" \
            and forward_returns_generated(r, fn.cls):
        return ("detached" if ng else "live"), node  # self(z) in a LightningModule whose forward is self.generator(z)
    if isinstance(node, ast.Call) and node.args and _keeps_graph(node):
        # torch.cat([fake, c], 1), torch.tanh(fake), self._apply_activate(fake): still G's output
        first = node.args[0]
        parts = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
        for part in parts:
            st, where = fake_state(r, fn, part, line, ng, depth + 1)
            if st:
                return st, where
        return None, None
    if isinstance(node, ast.Subscript):
        return fake_state(r, fn, node.value, line, ng, depth + 1)  # G(z)[0], fake[:n]: a part keeps G's graph
    if isinstance(node, ast.Name):
        prev = fn.value_before(node.id, line)
        if prev is None:
            return None, None
        val, png, pln = prev
        if val is None:  # `fake, aux = G(z)`: each part of G's output carries its graph
            part = fn.unpacked_from(node.id, pln)
            if part is None:
                return None, None
            val = part[0]
        st, where = fake_state(r, fn, val, pln, png, depth + 1)
        if st == "live" and png:
            st = "detached"
        return st, where
    return None, None


_GRAPH_KEEPING = {"cat", "stack", "concat", "concatenate", "tanh", "sigmoid", "softmax", "gumbel_softmax",
                  "interpolate", "flatten", "clamp", "hardtanh", "relu",
                  # torch.Tensor(t) / torch.FloatTensor(t) of a tensor is an alias (AliasBackward), not a copy:
                  # G's graph stays attached; torch.tensor(t) copies without it and is not listed
                  "Tensor", "FloatTensor", "as_tensor"}


def _keeps_graph(call: ast.Call) -> bool:
    name = last(call_name(call)) if call_name(call) else (call.func.attr if isinstance(call.func, ast.Attribute) else "")
    return name in _GRAPH_KEEPING or "activ" in name.lower()


def _helper_returns_fake(r, fn, call: ast.Call) -> bool:
    """sample(z) where `def sample(z): return G(z)` (a module function or a method of this class); one defined
    further down the file is read from its definition (later_helper_returns_fake)."""
    name = last(call_name(call))
    helper = r.all_funcs.get(name) if name else None
    if helper is None:
        return later_helper_returns_fake(r, fn, call)
    return bool(helper.returns_fake and not is_generator_class(r, helper.cls))
