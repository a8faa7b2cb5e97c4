"""Transforms of network layers: a hidden Sigmoid, the critic's final Sigmoid, the energy head."""
from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ganlint.fix.edits.code.cst_util import (ClassAware, call_name, dotted, expr, in_classes, is_sequential, is_sigmoid_fn,
                                             is_sigmoid_module, leaky, transform)


# -- a hidden Sigmoid -> LeakyReLU(0.2) ------------------------------------------------------------
@transform("hidden-sigmoid")
def hidden_sigmoid(module: cst.Module, params: dict) -> cst.Module:
    class T(ClassAware):
        def __init__(self):
            super().__init__()
            self.loop = 0

        def visit_For(self, node):
            self.loop += 1

        def leave_For(self, original, updated):
            self.loop -= 1
            return updated

        def leave_Call(self, original, updated):
            if not in_classes(self.cls, params):
                return updated
            if is_sequential(updated):
                args = list(updated.args)
                for i, a in enumerate(args[:-1]):
                    if is_sigmoid_module(a.value):
                        args[i] = a.with_changes(value=leaky(a.value))
                return updated.with_changes(args=args)
            # layers.append(nn.Sigmoid()) inside the loop over hidden sizes
            if self.loop and m.matches(updated.func, m.Attribute(attr=m.Name("append"))) and updated.args:
                if is_sigmoid_module(updated.args[0].value):
                    return updated.with_changes(args=[updated.args[0].with_changes(value=leaky(updated.args[0].value))])
            return updated

    return module.visit(T())


# -- the critic's final Sigmoid removed ------------------------------------------------------------
def drop_final_sigmoid(module: cst.Module, params: dict) -> cst.Module:
    class T(ClassAware):
        def leave_Call(self, original, updated):
            if not (self.cls and in_classes(self.cls, params, "critic")):
                return updated
            if is_sequential(updated) and len(updated.args) > 1 and is_sigmoid_module(updated.args[-1].value):
                args = list(updated.args)
                args.pop()
                last = args[-1]
                # keep the closing layout: the removed argument's comma/whitespace moves to the new last one
                removed = original.args[-1]
                args[-1] = last.with_changes(comma=removed.comma, whitespace_after_arg=removed.whitespace_after_arg)
                return updated.with_changes(args=args)
            return updated

        def leave_Return(self, original, updated):
            if self.cls and in_classes(self.cls, params, "critic") and self.funcs and self.funcs[-1] == "forward":
                v = updated.value
                if v is not None and is_sigmoid_fn(v) and len(v.args) == 1:
                    return updated.with_changes(value=v.args[0].value)
            return updated

    return module.visit(T())


@transform("critic-final-sigmoid")
def critic_final_sigmoid(module: cst.Module, params: dict) -> cst.Module:
    return drop_final_sigmoid(module, params)


# -- the energy head rescaled: E = act(raw * 0.5) * 2.0 + 0.1 --------------------------------------
@transform("energy-head")
def energy_head(module: cst.Module, params: dict) -> cst.Module:
    scale, offset, inner = params.get("scale", 2.0), params.get("offset", 0.1), params.get("input_scale", 0.5)
    code = cst.Module([]).code_for_node
    sig_attrs: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Assign(self, node):
            if is_sigmoid_module(node.value):
                for t in node.targets:
                    d = dotted(t.target)
                    if d:
                        sig_attrs.add(d)

    module.visit(V())

    def is_head_sigmoid(node) -> bool:
        return isinstance(node, cst.Call) and len(node.args) == 1 and (is_sigmoid_fn(node) or call_name(node) in sig_attrs)

    class T(ClassAware):
        def _fix(self, value):
            if is_head_sigmoid(value):
                return expr(f"{code(value.func)}({code(value.args[0].value)} * {inner!r}) * {scale!r} + {offset!r}")
            return None

        def leave_Assign(self, original, updated):
            if self.funcs and self.funcs[-1] == "forward" and in_classes(self.cls, params):
                new = self._fix(updated.value)
                if new is not None:
                    return updated.with_changes(value=new)
            return updated

        def leave_Return(self, original, updated):
            if self.funcs and self.funcs[-1] == "forward" and in_classes(self.cls, params) and updated.value is not None:
                v = updated.value
                if isinstance(v, cst.Call) and isinstance(v.func, cst.Attribute) and is_head_sigmoid(v.func.value):
                    return updated  # e.g. sigmoid(raw).squeeze(-1): leave; handled through assignment form
                new = self._fix(v)
                if new is not None:
                    return updated.with_changes(value=new)
            return updated

    return module.visit(T())
