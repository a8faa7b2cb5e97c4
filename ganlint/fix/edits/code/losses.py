"""Transforms of the losses: logits + BCEWithLogitsLoss, the non-saturating generator loss, the detached fake,
create_graph in the penalty."""
from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ganlint.core.roles import role_from_name
from ganlint.fix.edits.code.cst_util import call_name, dotted, expr, instances, transform
from ganlint.fix.edits.code.layers import drop_final_sigmoid


# -- Sigmoid + BCELoss -> logits + BCEWithLogitsLoss -----------------------------------------------
@transform("sigmoid-bce")
def sigmoid_bce(module: cst.Module, params: dict) -> cst.Module:
    module = drop_final_sigmoid(module, params)
    d_names = instances(module, "critic", params.get("classes"))

    def is_d_call(node) -> bool:
        return isinstance(node, cst.Call) and call_name(node) in d_names

    class T(cst.CSTTransformer):
        def leave_Call(self, original, updated):
            n = call_name(updated) or ""
            last = n.split(".")[-1]
            if last == "BCELoss":
                return updated.with_changes(func=expr(n[: -len("BCELoss")] + "BCEWithLogitsLoss"))
            if last == "binary_cross_entropy":
                return updated.with_changes(func=expr(n + "_with_logits"))
            if n == "torch.log" and len(updated.args) == 1:
                a = updated.args[0].value
                if is_d_call(a):  # log D(x) = -softplus(-logit)
                    return expr(f"(-torch.nn.functional.softplus(-{cst.Module([]).code_for_node(a)}))")
                if m.matches(a, m.BinaryOperation(left=m.Integer("1"), operator=m.Subtract())) and is_d_call(a.right):
                    return expr(f"(-torch.nn.functional.softplus({cst.Module([]).code_for_node(a.right)}))")
            return updated

        def leave_UnaryOperation(self, original, updated):
            # -(-softplus(-x)).mean()  ->  softplus(-x).mean(): the non-saturating loss as one would write it
            call = updated.expression
            if (isinstance(updated.operator, cst.Minus) and isinstance(call, cst.Call) and not call.args
                    and isinstance(call.func, cst.Attribute) and call.func.attr.value in ("mean", "sum")):
                inner = call.func.value
                if (isinstance(inner, cst.UnaryOperation) and isinstance(inner.operator, cst.Minus)
                        and call_name(inner.expression) == "torch.nn.functional.softplus"):
                    return expr(f"{cst.Module([]).code_for_node(inner.expression)}.{call.func.attr.value}()")
            return updated

    return module.visit(T())


def logits_safe(module: cst.Module, classes: list[str] | None = None) -> bool:
    """Whether every use of the discriminator's output in this file is one `sigmoid-bce` rewrites (a BCE
    criterion, torch.log(D(x)), torch.log(1 - D(x))). Any other use (thresholds, accuracy, printing) would
    silently read logits as probabilities: then the fix is unsafe. A file with no discriminator instance
    has no use to check; the caller decides what an unseen instance means."""
    d_names = instances(module, "critic", classes)
    ok = True
    bce_names = _bce_criteria(module)

    class V(cst.CSTVisitor):
        def __init__(self):
            self.stack: list[cst.CSTNode] = []

        def on_visit(self, node):
            if isinstance(node, cst.Call) and call_name(node) in d_names:
                parents = [p for p in self.stack if isinstance(p, cst.Call)]
                parent = parents[-1] if parents else None
                name = (call_name(parent) or "") if parent is not None else ""
                last = name.split(".")[-1]
                # a BCE criterion the fix turns into BCEWithLogitsLoss, torch.log(D(x)) it rewrites, or D(G(z))
                # (the inner call is G's). Any other function, even one named *_loss (BGAN's boundary-seeking
                # loss takes log(D) itself), would read logits as probabilities.
                allowed = name in bce_names or last in ("BCELoss", "binary_cross_entropy") or name == "torch.log" \
                    or call_name(parent) in d_names
                if parent is None or not allowed:
                    nonlocal ok
                    ok = False
            self.stack.append(node)
            return True

        def on_leave(self, node):
            self.stack.pop()

    if d_names:
        module.visit(V())
    return ok


def _bce_criteria(module: cst.Module) -> set[str]:
    """Names bound to a BCE criterion: `criterion = nn.BCELoss()`, `self.adversarial_loss = BCELoss()`."""
    names: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Assign(self, node):
            if (call_name(node.value) or "").split(".")[-1] in ("BCELoss", "BCEWithLogitsLoss"):
                names.update(d for d in (dotted(t.target) for t in node.targets) if d)

    module.visit(V())
    return names


# -- saturating generator loss -> non-saturating ---------------------------------------------------
@transform("non-saturating-loss")
def non_saturating(module: cst.Module, params: dict) -> cst.Module:
    logits = bool(params.get("logits"))
    code = cst.Module([]).code_for_node

    def saturating_arg(node):
        """X when node is torch.log(1 - X) with X containing a nested call (D(G(z)))."""
        if call_name(node) == "torch.log" and len(node.args) == 1:
            a = node.args[0].value
            if m.matches(a, m.BinaryOperation(left=m.Integer("1") | m.Float("1.0"), operator=m.Subtract())):
                x = a.right
                if isinstance(x, cst.Call) and x.args and isinstance(x.args[0].value, cst.Call):
                    return x
        return None

    class T(cst.CSTTransformer):
        def leave_Call(self, original, updated):
            # torch.log(1 - D(G(z))).mean()  ->  -torch.log(D(G(z))).mean()
            if isinstance(original.func, cst.Attribute) and original.func.attr.value in ("mean", "sum"):
                x = saturating_arg(original.func.value)
                if x is not None:
                    red = updated.func.attr.value
                    if logits:
                        return expr(f"torch.nn.functional.softplus(-{code(x)}).{red}()")
                    return expr(f"-torch.log({code(x)}).{red}()")
            x = saturating_arg(updated)
            if x is not None:
                if logits:
                    return expr(f"torch.nn.functional.softplus(-{code(x)})")
                return expr(f"(-torch.log({code(x)}))")
            return updated

    return module.visit(T())


# -- the fake batch detached in the critic step ----------------------------------------------------
@transform("detach-fake")
def detach_fake(module: cst.Module, params: dict) -> cst.Module:
    d_names = instances(module, "critic", params.get("classes"))
    g_names = instances(module, "generator", params.get("generator_classes"))

    class T(cst.CSTTransformer):
        def __init__(self):
            self.fakes: set[str] = set()
            self.in_d_loss = False

        def visit_FunctionDef(self, node):
            self.fakes = set()

        def visit_Assign(self, node):
            if isinstance(node.value, cst.Call) and call_name(node.value) in g_names:
                for t in node.targets:
                    if isinstance(t.target, cst.Name):
                        self.fakes.add(t.target.value)
            names = [dotted(t.target) or "" for t in node.targets]
            self.in_d_loss = any(role_from_name(n.rsplit(".", 1)[-1]) == "critic" for n in names)

        def leave_Assign(self, original, updated):
            self.in_d_loss = False
            return updated

        def leave_Call(self, original, updated):
            if self.in_d_loss and call_name(updated) in d_names and updated.args:
                a = updated.args[0].value
                if isinstance(a, cst.Name) and a.value in self.fakes:
                    return updated.with_changes(args=[updated.args[0].with_changes(value=expr(f"{a.value}.detach()")), *updated.args[1:]])
            return updated

    return module.visit(T())


# -- create_graph=True in the penalty --------------------------------------------------------------
@transform("create-graph")
def create_graph(module: cst.Module, params: dict) -> cst.Module:
    class T(cst.CSTTransformer):
        def leave_Call(self, original, updated):
            if call_name(updated) not in ("torch.autograd.grad", "autograd.grad", "grad"):
                return updated
            args = list(updated.args)
            for i, a in enumerate(args):
                if a.keyword and a.keyword.value == "create_graph":
                    if m.matches(a.value, m.Name("True")):
                        return updated
                    args[i] = a.with_changes(value=cst.Name("True"))
                    return updated.with_changes(args=args)
            last = args[-1]
            comma = last.comma if last.comma is not cst.MaybeSentinel.DEFAULT else cst.MaybeSentinel.DEFAULT
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            args.append(cst.Arg(value=cst.Name("True"), keyword=cst.Name("create_graph"), equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")), comma=comma))
            return updated.with_changes(args=args)

    return module.visit(T())
