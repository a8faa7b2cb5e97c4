"""Energy-model facts: InfoNCE written as cross_entropy over -E / tau."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, dotted, last, names_in
from ganlint.reading.code.facts import Marker


def _infonce(r, n: ast.Call, ln: str) -> None:
    if ln == "cross_entropy" and n.args:
        fn = r.funcs[-1]
        logits = n.args[0]
        if isinstance(logits, ast.Name):
            prev = fn.value_before(logits.id, n.lineno + 1)
            logits = prev[0] if prev and prev[0] is not None else logits
        if _neg_over_tau(logits):
            r.f.infonce.append(Marker("infonce", r.src.loc(n), r.src.seg(n), r.scope()))


def _neg_over_tau(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.BinOp) and isinstance(node.operand.op, ast.Div)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        l = node.left
        return (isinstance(l, ast.UnaryOp) and isinstance(l.op, ast.USub)) or (
            isinstance(l, ast.Call) and isinstance(l.func, ast.Attribute) and l.func.attr == "neg")
    return False


_NOISE = ("randn", "randn_like", "normal_", "normal", "rand_like")


def on_assign(r, target: ast.AST, tname: str | None, value: ast.AST, st: ast.stmt) -> None:
    """Langevin / SGLD sampling: an input moved along the model's gradient w.r.t. it, plus noise
    (`x_k.data += lr * grad(f(x_k).sum(), [x_k])[0] + std * randn_like(x_k)`): an energy model."""
    fn = r.funcs[-1]
    if not fn.grad_calls and not isinstance(st, ast.AugAssign) and ".grad" not in r.src.seg(value):
        return  # cheap: no gradient in sight
    base = target.value if isinstance(target, ast.Attribute) and target.attr == "data" else target
    name = dotted(base)
    if name and _moves_along_own_grad(r, name, value if not isinstance(st, ast.AugAssign) else st.value):
        _langevin(r, st)


_CALLS = frozenset({"cross_entropy", "div", "add_", "sub_"})  # the only calls the cases below look at


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if ln not in _CALLS:
        return False
    _infonce(r, n, ln)
    if ln == "div" and name in ("torch.div", "th.div") and len(n.args) == 2:  # torch.div(a @ b.T, self.temperature)
        similarity_over_temperature(r, n.args[0], n.args[1], n)
    # neg_x.data.add_(-step, neg_x.grad.data): igebm's Langevin step
    if ln in ("add_", "sub_") and isinstance(n.func, ast.Attribute):
        recv = n.func.value
        base = recv.value if isinstance(recv, ast.Attribute) and recv.attr == "data" else recv
        var = dotted(base)
        if var and any(isinstance(a, ast.AST) and _moves_along_own_grad(r, var, a) for a in n.args):
            _langevin(r, n)
    return False


def _moves_along_own_grad(r, var: str, value: ast.AST) -> bool:
    fn = r.funcs[-1]
    for m in walk(value):
        if isinstance(m, ast.Attribute) and m.attr == "grad" and dotted(m.value) == var:
            break  # x.grad
        if isinstance(m, ast.Call) and last(call_name(m)) == "sign":
            return False  # an adversarial example (FGSM), not a sampler
        if isinstance(m, ast.Name) and m.id != var:
            prev = fn.value_before(m.id, getattr(value, "lineno", 10**9) + 1)
            if prev is not None and prev[0] is not None and _grad_wrt(r, prev[0], var):
                break
    else:
        return False
    fnode = fn.node
    return fnode is not None and any(
        isinstance(c, ast.Call) and last(call_name(c)) in _NOISE for c in walk(fnode))


def _grad_wrt(r, node: ast.AST, var: str) -> bool:
    """autograd.grad(f(x).sum(), [x])[0] with x == var."""
    while isinstance(node, ast.Subscript):
        node = node.value
    fname = dotted(node.func) if isinstance(node, ast.Call) else None
    if not fname or not (fname in r.grad_aliases or fname.endswith(".autograd.grad")) or len(node.args) < 2:
        return False
    return var in names_in(node.args[1]) or var.rsplit(".", 1)[-1] in names_in(node.args[1])


def _langevin(r, node: ast.AST) -> None:
    if not any(m.location.file == r.src.path for m in r.f.langevin):
        r.f.langevin.append(Marker("langevin", r.src.loc(node), r.src.seg(node), r.scope()))


_SIMILARITY = ("matmul", "mm", "bmm", "einsum", "cosine_similarity", "cdist", "inner", "dot")
_TEMPERATURE = ("temperature", "temp", "tau", "t")
_NCE_TAILS = ("cross_entropy", "CrossEntropyLoss", "log_softmax", "logsumexp", "nll_loss")


def _is_temperature(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    low = (name or "").lower()
    return low in _TEMPERATURE or "temperature" in low or low.endswith("_tau") or low.startswith("tau")


def _is_similarity(node: ast.AST) -> bool:
    for m in walk(node):
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.MatMult):
            return True
        if isinstance(m, ast.Call) and last(call_name(m)) in _SIMILARITY:
            return True
    return False


def similarity_over_temperature(r, num: ast.AST, den: ast.AST, at: ast.AST) -> None:
    """logits = sim(a, b) / tau in a function that then takes a softmax cross-entropy: a hand-written
    (supervised-)contrastive InfoNCE. A Gumbel-softmax `tau` or a soft-update `tau` never divides a
    similarity matrix feeding a cross-entropy."""
    if not (_is_temperature(den) and _is_similarity(num)):
        return
    fn = r.funcs[-1]
    if fn.node is None or fn.name == "<module>":
        return
    tails = fn.__dict__.setdefault("_nce_tail", any(
        isinstance(c, ast.Call) and last(call_name(c)) in _NCE_TAILS for c in walk(fn.node)))
    if tails and not any(m.scope == r.scope() and m.location.file == r.src.path for m in r.f.infonce):
        r.f.infonce.append(Marker("infonce", r.src.loc(at), r.src.seg(at), r.scope()))


def on_binop(r, n: ast.BinOp) -> None:
    if isinstance(n.op, ast.Div):
        similarity_over_temperature(r, n.left, n.right, n)


def energy_training_sites(facts) -> list:
    """One energy optimizer per training program: the first of every file that shows the energy training
    itself (a Langevin sampler or an InfoNCE loss in that file, or an optimizer of the energy network);
    where no file does, the first one read. ebm-anatomy's train_data.py and train_toy.py are two programs;
    a classifier script beside them shows neither, and is not taken for the energy model's trainer even
    when it is read first."""
    from ganlint.reading.code.links import energy_optimizers

    opts = energy_optimizers(facts)
    shown = {m.location.file for m in [*facts.code.langevin, *facts.code.infonce]}
    out: list = []
    for o in opts:
        f = o.location.file
        if f not in {p.location.file for p in out} and (
                f in shown or (o.role or facts.code.role_of_var(o.network_var)) == "energy"):
            out.append(o)
    return out or opts[:1]


def serves(site_file: str, at_file: str, site_files: set[str]) -> bool:
    """A clip or scheduler in `at_file` serves the program whose optimizer is built in `site_file`: it is
    in that file, or in a shared helper file that builds no energy optimizer of its own."""
    return at_file == site_file or at_file not in site_files
