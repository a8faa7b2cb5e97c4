"""Gradient penalties: autograd.grad calls, where they are taken, and whether they are penalties."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, last, literal, names_in
from ganlint.reading.code.facts import GradCall


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if name in r.grad_aliases:
        _grad(r, n, tname)
    elif r.branch and ln:
        # a call under `if args.model == 'WGAN-GP':`: which arm a penalty helper runs in (clipping elsewhere)
        r.f.branch_calls.append((r.src.path, ln, r.branch))
    return False


def _grad(r, n: ast.Call, tname: str | None) -> None:
    fn = r.funcs[-1]
    cg = None
    given = False
    for kw in n.keywords:
        if kw.arg == "create_graph":
            given = True
            ok, val = literal(kw.value)
            cg = bool(val) if ok else True  # a variable: assume the user knows
    inputs = n.args[1] if len(n.args) > 1 else next((k.value for k in n.keywords if k.arg == "inputs"), None)
    if isinstance(inputs, (ast.List, ast.Tuple)) and inputs.elts:
        inputs = inputs.elts[0]
    interp = None
    if inputs is not None:
        interp = interpolated(fn, inputs, n.lineno + 1, 0)
    g = GradCall(r.src.loc(n), cg, given, r.src.seg(inputs) if inputs is not None else None, interp,
                 False, False, fn.name, r.src.seg(n), r.branch)
    r.f.grad_calls.append(g)
    fn.grad_calls.append((g, tname))


def interpolated(fn, node: ast.AST, line: int, depth: int) -> bool | None:
    """True: a*x + (1-a)*fake; False: real or fake points only; None: unknown."""
    if depth > 6:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
            "requires_grad_", "detach", "clone", "to", "float", "view", "reshape", "cuda"):
        return interpolated(fn, node.func.value, line, depth + 1)
    if isinstance(node, ast.Call) and last(call_name(node)) in ("Variable", "tensor", "autograd.Variable") and node.args:
        return interpolated(fn, node.args[0], line, depth + 1)
    if isinstance(node, ast.Call) and last(call_name(node)) == "lerp":
        return True
    if isinstance(node, ast.BinOp):
        mults = [m for m in walk(node) if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mult)]
        return True if isinstance(node.op, ast.Add) and mults else None
    if isinstance(node, ast.Name):
        low = node.id.lower()
        if any(w in low for w in ("interp", "hat", "mix", "between", "inter")):
            return True
        prev = fn.value_before(node.id, line)
        if prev is not None and prev[0] is not None:
            return interpolated(fn, prev[0], prev[2], depth + 1)
        if prev is None and any(w in low for w in ("real", "fake", "data", "gen", "sample")) or low in ("x", "x_real", "x_fake"):
            return False
        return None
    return None


def _called(call: ast.Call) -> str:
    """The called function's last name, also on a chain (`g.view(n, -1).norm(2, 1)`: call_name has no dotted
    name for a call's result)."""
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return last(call_name(call))


def end_function(r, fn) -> None:
    if not fn.grad_calls or fn.node is None:
        return
    fname = fn.name.lower()
    name_hint = any(w in fname for w in ("penalty", "gp", "lipschitz", "r1", "r2", "grad_pen"))
    two_sided = False
    normed: set[str] = set()
    norms: set[str] = set()  # names holding a norm: `grad_norm = g.view(n, -1).norm(2, dim=1)`, then (grad_norm - 1)
    for st, targets, _ng in fn.stmts:
        value = getattr(st, "value", None)
        if targets and value is not None and any(
                isinstance(m, ast.Call) and _called(m) in ("norm", "vector_norm", "sqrt") for m in walk(value)):
            norms.update(t for t in targets if t)
    for node in (n for st, _t, _ng in fn.stmts for n in walk(st)):  # this function's own statements only
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and literal(node.right)[1] in (1, 1.0):
            if any(isinstance(m, ast.Call) and _called(m) in ("norm", "vector_norm", "sqrt") for m in walk(node.left)) \
                    or (isinstance(node.left, ast.Name) and node.left.id in norms):
                two_sided = True
        if isinstance(node, ast.Call) and _called(node) in ("norm", "pow", "vector_norm", "square", "sum"):
            normed |= names_in(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            normed |= names_in(node.left)
    for g, tname in fn.grad_calls:
        g.two_sided = two_sided
        g.is_penalty = name_hint or two_sided or bool(tname and tname.rsplit(".", 1)[-1] in normed)


# -- the weight a penalty term is multiplied by: `opt.lambda_1 * d_wgp_loss`, `gp * self.lambda_` ----------
def _norm_minus_one(node: ast.AST, fn) -> bool:
    """(||g|| - 1): a norm (called here, or held in a name assigned from one) less one."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and literal(node.right)[1] in (1, 1.0)):
        return False
    left = node.left
    if any(isinstance(m, ast.Call) and _called(m) in ("norm", "vector_norm", "sqrt") for m in walk(left)):
        return True
    if isinstance(left, ast.Name):
        prev = fn.value_before(left.id, node.lineno + 1)
        return bool(prev and prev[0] is not None and any(
            isinstance(m, ast.Call) and _called(m) in ("norm", "vector_norm", "sqrt") for m in walk(prev[0])))
    return False


def _penalty_term(node: ast.AST, fn, depth: int = 0) -> bool:
    """A gradient-penalty term: a call of a *penalty* / *gp* function, or (||g|| - 1)^2, also through a name
    assigned earlier in the function."""
    if depth > 2:
        return False
    if isinstance(node, ast.Name):
        prev = fn.value_before(node.id, node.lineno + 1)
        return bool(prev and prev[0] is not None and _penalty_term(prev[0], fn, depth + 1))
    for m in walk(node):
        if isinstance(m, ast.Call):
            name = _called(m).lower()
            if "penalty" in name or name in ("gp", "calc_gp", "compute_gp") or name.startswith("gp_") or name.endswith("_gp"):
                return True
            if _called(m) == "pow" and m.args and literal(m.args[0])[1] == 2 and isinstance(m.func, ast.Attribute) \
                    and _norm_minus_one(m.func.value, fn):
                return True
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Pow) and literal(m.right)[1] == 2 \
                and _norm_minus_one(m.left, fn):
            return True
    return False


def _weight_name(node: ast.AST) -> str | None:
    """`opt.lambda_1`, `self.lambda_`, `args['gp']`, `LAMBDA`: the name a weight is read by."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    return None


def _gp_named(name: str) -> bool:
    """A WGAN-GP penalty function's name (gradient_penalty, calc_gp, compute_grad_penalty), not another
    regulariser's (r1_penalty, path_length_penalty, drift_penalty)."""
    low = name.lower()
    return "gradient_penalty" in low or "grad_penalty" in low or "gp" in low.split("_")


def _wgan_gp_term(r, node: ast.AST, fn, depth: int = 0) -> bool:
    """A two-sided gradient penalty term: a gradient_penalty(...) call, a call of a function above whose
    autograd.grad is penalised as (||g|| - 1)^2, or that form itself, also through a name."""
    if depth > 2:
        return False
    if isinstance(node, ast.Name):
        prev = fn.value_before(node.id, node.lineno + 1)
        return bool(prev and prev[0] is not None and _wgan_gp_term(r, prev[0], fn, depth + 1))
    for m in walk(node):
        if isinstance(m, ast.Call) and _gp_named(_called(m)):
            return True
        helper = r.all_funcs.get(_called(m)) if isinstance(m, ast.Call) else None
        if helper is not None and any(g.two_sided for g, _t in helper.grad_calls):
            return True
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Pow) and literal(m.right)[1] == 2 \
                and _norm_minus_one(m.left, fn):
            return True
    return False


def on_binop(r, n: ast.BinOp) -> None:
    if not isinstance(n.op, ast.Mult):
        return
    has_grad = r.__dict__.get("_mentions_grad")
    if has_grad is None:
        has_grad = r.__dict__["_mentions_grad"] = "grad" in r.src.text or "penalty" in r.src.text
    if not has_grad:
        return  # a penalty weight needs a penalty: a file that never says grad or penalty has none
    fn = r.funcs[-1]
    for weight, term in ((n.left, n.right), (n.right, n.left)):
        name = _weight_name(weight)
        if name and _penalty_term(term, fn):
            r.f.penalty_weights.add(name)
        elif type(weight) is ast.Constant and type(weight.value) in (int, float) and weight.value > 0 \
                and _wgan_gp_term(r, term, fn):
            # `d_loss += 0.2 * gradient_penalty(...)`: λ as written
            term_src = f"{_called(term)}(...)" if isinstance(term, ast.Call) and _called(term) else r.src.seg(term)
            r.f.penalty_literals.append((r.src.arg(weight), term_src if len(term_src) <= 60 else "the penalty term"))


def penalty_weights_by_use(facts) -> None:
    """A number the vocabulary cannot place that multiplies a gradient penalty (`--lambda_1` in
    `d_loss = w + opt.lambda_1 * gp`) is the penalty's weight, whatever its name."""
    names = facts.code.penalty_weights
    if not names:
        return
    for s in facts.settings:
        if s.canonical is None and s.leaf in names and not isinstance(s.value, bool) \
                and isinstance(s.value, (int, float)) and s.value > 0:
            s.canonical = "gp_weight"


def drop_uncalled_penalties(facts) -> None:
    """A penalty helper of a module other files import, that no code of the project calls (`cal_gradient_penalty`
    of a vendored networks module whose users take only its blocks), applies no penalty: it says nothing of the
    family. Any other mention of its name in any file (a call, an import, a method's `self.gp(...)`, even a
    comment) keeps it; so does a script's own helper (a file nobody imports: its callers are not read)."""
    from ganlint.reading.import_graph import import_graph
    from ganlint.reading.code.words import WordCounts

    importers = import_graph(facts)
    helpers = {g.function.rsplit(".", 1)[-1] for g in facts.code.grad_calls
               if g.is_penalty and g.function and importers.get(g.location.file)}
    helpers = {h for h in helpers if "penalty" in h.lower() or "gp" in h.lower().split("_")}
    if not helpers:
        return
    words = WordCounts([t for f, t in facts.texts.items() if f.endswith(".py")], len(helpers))
    uncalled = {h for h in helpers if words.mentions(h) <= 1}
    for g in facts.code.grad_calls:
        if g.is_penalty and g.function and importers.get(g.location.file) and g.function.rsplit(".", 1)[-1] in uncalled:
            g.is_penalty = False
