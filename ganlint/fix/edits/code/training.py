"""Transforms of the training step: log_var clamped, KL annealing, Adam betas, gradient-norm clipping."""
from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from ganlint.fix.edits.base import EditError
from ganlint.fix.edits.code.cst_util import call_name, expr, transform

LOGVAR_NAME = re.compile(r"^(log_?var|logvar|log_sigma2|log_sigma_sq|logsigma2|lv)$", re.I)


# -- log_var clamped before exp --------------------------------------------------------------------
def _names_in(node) -> set[str]:
    found: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n):
            found.add(n.value)

    node.visit(V())
    return found


def _exp_names(node) -> set[str]:
    """Names that reach an exp(): x.exp(), torch.exp(..x..)."""
    found: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Call(self, n):
            if call_name(n) in ("torch.exp", "exp", "np.exp", "math.exp") and n.args:
                found.update(_names_in(n.args[0].value))
            elif isinstance(n.func, cst.Attribute) and n.func.attr.value == "exp":
                found.update(_names_in(n.func.value))

    node.visit(V())
    return found


def _bound_names(stmt) -> set[str]:
    names: set[str] = set()
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for t in small.targets:
                    tgt = t.target
                    elts = tgt.elements if isinstance(tgt, (cst.Tuple, cst.List)) else [tgt]
                    for e in elts:
                        e = e.value if isinstance(e, cst.Element) else e
                        if isinstance(e, cst.Name):
                            names.add(e.value)
    return names


def _is_clamp_of(stmt, name: str) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if not isinstance(small, cst.Assign) or not isinstance(small.value, cst.Call):
        return False
    f = call_name(small.value) or (small.value.func.attr.value if isinstance(small.value.func, cst.Attribute) else "")
    return f.split(".")[-1] in ("clamp", "clip", "clamp_") and name in _bound_names(stmt)


def _clamp_block(stmts: list, exp_names: set[str], exp_after: set[str], clamp_stmt) -> list:
    """The statements of one block with a clamp after each binding of a log-variance that an exp() reads
    later: in this block, or after the block (`exp_after`). Blocks inside if/for/while/with/try are treated
    the same way, so a log-variance made in two branches is clamped in both (not nested defs: they are
    functions of their own)."""
    out = []
    for i, s in enumerate(stmts):
        later = set().union(*(_exp_names(x) for x in stmts[i + 1:])) & exp_names | exp_after
        if not isinstance(s, (cst.SimpleStatementLine, cst.FunctionDef, cst.ClassDef)):
            s = _clamp_inner_blocks(s, exp_names, later, clamp_stmt)
        out.append(s)
        for n in sorted(_bound_names(s) & exp_names):
            if _is_clamp_of(s, n):
                continue
            nxt = stmts[i + 1] if i + 1 < len(stmts) else None
            if nxt is not None and _is_clamp_of(nxt, n):
                continue
            if n in later:  # only where the name is later exponentiated
                out.append(clamp_stmt(n))
    return out


def _clamp_inner_blocks(node, exp_names: set[str], exp_after: set[str], clamp_stmt):
    """A compound statement with each of its indented blocks (body, else, except, finally) clamped."""
    changes = {}
    for field in ("body", "orelse", "finalbody", "handlers"):
        part = getattr(node, field, None)
        if isinstance(part, cst.IndentedBlock):
            changes[field] = part.with_changes(body=_clamp_block(list(part.body), exp_names, exp_after, clamp_stmt))
        elif isinstance(part, (cst.Else, cst.Finally, cst.If)):
            changes[field] = _clamp_inner_blocks(part, exp_names, exp_after, clamp_stmt)
        elif isinstance(part, (tuple, list)):
            changes[field] = [_clamp_inner_blocks(h, exp_names, exp_after, clamp_stmt) for h in part]
    return node.with_changes(**changes) if changes else node


def _torch_name(module: cst.Module) -> str:
    """What the file calls torch: `torch`, or `t` after `import torch as t` alone (a clamp written with
    `torch.` there would be a NameError)."""
    names = [(a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else "torch")
             for st in module.body if isinstance(st, cst.SimpleStatementLine)
             for imp in st.body if isinstance(imp, cst.Import)
             for a in imp.names if cst.Module([]).code_for_node(a.name) == "torch"]
    return "torch" if not names or "torch" in names else names[0]


@transform("clamp-logvar")
def clamp_logvar(module: cst.Module, params: dict) -> cst.Module:
    lo, hi = params.get("min", -10.0), params.get("max", 10.0)
    pattern = re.compile(params["name_pattern"]) if params.get("name_pattern") else LOGVAR_NAME

    torch_name = _torch_name(module)

    def clamp_stmt(name: str) -> cst.SimpleStatementLine:
        return cst.parse_statement(f"{name} = {torch_name}.clamp({name}, {lo!r}, {hi!r})")

    class T(cst.CSTTransformer):
        def leave_FunctionDef(self, original, updated):
            body = updated.body
            if not isinstance(body, cst.IndentedBlock):
                return updated
            exp_names = {n for n in _exp_names(updated) if pattern.match(n)}
            if not exp_names:
                return updated
            stmts = list(body.body)
            params_ = {p.name.value for p in updated.params.params}
            pending = [n for n in sorted(exp_names & params_)]
            # clamp function parameters at the top (after a docstring)
            start = 1 if stmts and m.matches(stmts[0], m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])) else 0
            out = list(stmts[:start])
            for n in pending:
                if not (len(stmts) > start and _is_clamp_of(stmts[start], n)):
                    out.append(clamp_stmt(n))
            out.extend(_clamp_block(stmts[start:], exp_names, set(), clamp_stmt))
            return updated.with_changes(body=body.with_changes(body=out))

    return module.visit(T())


# -- KL weight annealed: min(w_max, step / T) ------------------------------------------------------
@transform("kl-annealing")
def kl_annealing(module: cst.Module, params: dict) -> cst.Module:
    key = params["weight_key"]
    steps_key = params.get("steps_key", "kl_anneal_steps")
    steps_default = params.get("steps", 1000)
    counter = params.get("counter", "kl_step")
    code = cst.Module([]).code_for_node

    def weight_ref(node) -> bool:
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            idx = node.slice[0].slice
            return isinstance(idx, cst.Index) and isinstance(idx.value, cst.SimpleString) and idx.value.evaluated_value == key
        if isinstance(node, cst.Attribute):
            return node.attr.value == key
        if isinstance(node, cst.Name):
            return node.value == key
        return False

    def steps_ref(node) -> str:
        if isinstance(node, cst.Subscript):
            q = node.slice[0].slice.value.quote
            return f"{code(node.value)}[{q}{steps_key}{q}]"
        if isinstance(node, cst.Attribute):
            return f"{code(node.value)}.{steps_key}"
        return repr(steps_default)


    class FindUse(cst.CSTVisitor):
        def __init__(self):
            self.ref = None

        def visit_BinaryOperation(self, node):
            if isinstance(node.operator, cst.Multiply) and self.ref is None:
                for side in (node.left, node.right):
                    if weight_ref(side):
                        self.ref = side

    class T(cst.CSTTransformer):
        def __init__(self):
            self.cls_stack: list[list] = []

        def visit_ClassDef(self, node):
            self.cls_stack.append([False])

        def leave_ClassDef(self, original, updated):
            needs = self.cls_stack.pop()[0]
            if not needs:
                return updated
            # self.kl_step = 0 at the end of __init__
            body = list(updated.body.body)
            for i, s in enumerate(body):
                if isinstance(s, cst.FunctionDef) and s.name.value == "__init__":
                    inner = list(s.body.body)
                    if not any(f"self.{counter} = 0" in code(x) for x in inner):
                        inner.append(cst.parse_statement(f"self.{counter} = 0"))
                        body[i] = s.with_changes(body=s.body.with_changes(body=inner))
            return updated.with_changes(body=updated.body.with_changes(body=body))

        def leave_FunctionDef(self, original, updated):
            if not isinstance(updated.body, cst.IndentedBlock):
                return updated
            if any("kl_weight = min(" in code(s) for s in updated.body.body):
                return updated
            is_method = bool(self.cls_stack) and updated.params.params and updated.params.params[0].name.value == "self"
            stmts = list(updated.body.body)
            for i, s in enumerate(stmts):
                if not isinstance(s, cst.SimpleStatementLine):
                    continue
                f = FindUse()
                s.visit(f)
                if f.ref is None:
                    continue
                if not is_method:
                    raise EditError(f"KL annealing needs a step counter; add `kl_weight = min({code(f.ref)}, step / T)` by hand")
                ref = f.ref

                class R(cst.CSTTransformer):
                    def leave_BinaryOperation(self, o, u):
                        if isinstance(u.operator, cst.Multiply):
                            if o.left is ref:
                                return u.with_changes(left=cst.Name("kl_weight"))
                            if o.right is ref:
                                return u.with_changes(right=cst.Name("kl_weight"))
                        return u

                new_s = s.visit(R())
                ann = cst.parse_statement(f"kl_weight = min({code(ref)}, self.{counter} / {steps_ref(ref)})")
                stmts[i : i + 1] = [ann, new_s]
                # self.kl_step += 1 before the final return (or at the end)
                inc = cst.parse_statement(f"self.{counter} += 1")
                if isinstance(stmts[-1], cst.SimpleStatementLine) and isinstance(stmts[-1].body[0], cst.Return):
                    stmts.insert(len(stmts) - 1, inc)
                else:
                    stmts.append(inc)
                self.cls_stack[-1][0] = True
                return updated.with_changes(body=updated.body.with_changes(body=stmts))
            return updated

    return module.visit(T())


# -- Adam betas ------------------------------------------------------------------------------------
@transform("adam-betas")
def adam_betas(module: cst.Module, params: dict) -> cst.Module:
    betas = tuple(params.get("betas", (0.5, 0.999)))
    text = f"({betas[0]!r}, {betas[1]!r})"
    replace = params.get("replace", True)

    class T(cst.CSTTransformer):
        def leave_Call(self, original, updated):
            n = call_name(updated) or ""
            if n.split(".")[-1] not in ("Adam", "AdamW"):
                return updated
            args = list(updated.args)
            for i, a in enumerate(args):
                if a.keyword and a.keyword.value == "betas":
                    if not replace or cst.Module([]).code_for_node(a.value) == text:
                        return updated
                    args[i] = a.with_changes(value=expr(text))
                    return updated.with_changes(args=args)
            new = cst.Arg(value=expr(text), keyword=cst.Name("betas"), equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            pos = next((i + 1 for i, a in enumerate(args) if a.keyword and a.keyword.value == "lr"), len(args))
            if pos == len(args):
                last = args[-1]
                args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                new = new.with_changes(comma=last.comma)
            args.insert(pos, new)
            return updated.with_changes(args=args)

    return module.visit(T())


# -- gradient-norm clipping after backward() -------------------------------------------------------
@transform("grad-clip")
def grad_clip(module: cst.Module, params: dict) -> cst.Module:
    max_norm = params.get("max_norm", 1.0)
    config_key = params.get("config_key")
    config_keys = set(params.get("config_keys", []))
    code = cst.Module([]).code_for_node

    class T(cst.CSTTransformer):
        def leave_FunctionDef(self, original, updated):
            src = code(updated)
            if "clip_grad_norm" in src or ".backward()" not in src:
                return updated
            # the optimiser's parameters in this function
            opt_params = None
            container = None

            class V(cst.CSTVisitor):
                def visit_Call(self, n):
                    nonlocal opt_params
                    name = call_name(n) or ""
                    if name.startswith(("torch.optim.", "optim.")) and n.args and opt_params is None:
                        opt_params = code(n.args[0].value)

                def visit_Subscript(self, n):
                    nonlocal container
                    if len(n.slice) == 1 and isinstance(n.slice[0].slice, cst.Index):
                        v = n.slice[0].slice.value
                        if isinstance(v, cst.SimpleString) and v.evaluated_value in config_keys and container is None:
                            container = (code(n.value), v.quote)

            updated.visit(V())
            if opt_params is None:
                return updated
            if config_key and container:
                norm = f"{container[0]}[{container[1]}{config_key}{container[1]}]"
            else:
                norm = repr(max_norm)
            clip = cst.parse_statement(f"torch.nn.utils.clip_grad_norm_({opt_params}, max_norm={norm})")

            class Ins(cst.CSTTransformer):
                def _ins(self, u):
                    body = list(u.body)
                    out = []
                    for s in body:
                        out.append(s)
                        if isinstance(s, cst.SimpleStatementLine) and ".backward()" in code(s):
                            out.append(clip)
                    return u.with_changes(body=out)

                def leave_IndentedBlock(self, o, u):
                    return self._ins(u)

            return updated.visit(Ins())

    return module.visit(T())
