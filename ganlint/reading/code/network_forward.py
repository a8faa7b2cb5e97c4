"""forward() of an nn.Module class: what it returns and what feeds a weighted layer, traced through names,
shape ops and affine maps to the sigmoids applied (mixed into NetworkReader)."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk, walk_code
from ganlint.reading.code.astutil import dotted, last, literal
from ganlint.reading.code.facts import Activation, Layer

TRANSPARENT = {
    "squeeze", "unsqueeze", "view", "reshape", "flatten", "contiguous", "float", "double", "clone", "to",
    "permute", "transpose", "view_as", "reshape_as", "cpu", "cuda", "type", "half", "squeeze_", "unsqueeze_",
}
# "nn.sigmoid": torch.nn has no such function, so `nn` is torch.nn.functional imported as nn
SIGMOID_FUNCS = {"torch.sigmoid", "F.sigmoid", "torch.nn.functional.sigmoid", "nn.functional.sigmoid", "sigmoid",
                 "functional.sigmoid", "torch.special.expit", "expit", "nn.sigmoid"}


class ForwardMixin:
    # -- forward ----------------------------------------------------------------------------------
    def _forward(self, fn: ast.FunctionDef) -> None:
        nodes = self.forward_nodes = list(walk_code(fn))  # statements and calls: the marker leaves are left out
        returns, loop_layers = self._read_body(nodes)
        stack_by_attr = {s.attr: s for s in self.net.stacks}
        seen: set = set()
        self._hidden(nodes, stack_by_attr, loop_layers, seen)
        # final: what forward returns
        for ret in returns:
            vals = ret.value.elts if isinstance(ret.value, ast.Tuple) else [ret.value]
            for v in vals:
                for r in self._resolve(v, ret.lineno, 0):
                    if r["sig"] is None:
                        continue
                    act = self._add_forward_activation(r, "final") if id(r["sig"]) not in seen else None
                    seen.add(id(r["sig"]))
                    if act is not None and act.name == "Sigmoid" and self.net.final_sigmoid is None:
                        self.net.final_sigmoid = act
        self._helpers_hidden(nodes, stack_by_attr, seen)

    def _helpers_hidden(self, nodes: list, stack_by_attr: dict, seen: set) -> None:
        """The methods forward calls (`e = self.encode(x)`): a sigmoid fed into a weighted layer inside one is
        hidden too. What a helper returns is left to forward's own reading."""
        cls = getattr(self, "node", None)
        if not isinstance(cls, ast.ClassDef):
            return
        methods = {st.name: st for st in cls.body if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and st.name not in ("forward", "__init__")}
        called = [n.func.attr for n in nodes if isinstance(n, ast.Call) and self._self_attr(n.func) is not None
                  and isinstance(n.func, ast.Attribute) and n.func.attr in methods]
        saved = self.assigns
        for name in dict.fromkeys(called):
            helper_nodes = list(walk_code(methods[name]))
            _returns, loop_layers = self._read_body(helper_nodes)
            self._hidden(helper_nodes, stack_by_attr, loop_layers, seen)
        self.assigns = saved

    def _read_body(self, nodes: list) -> tuple[list[ast.Return], set[str]]:
        # name -> [(first line, last line, value)] of its assignments, in order
        self.assigns: dict[str, list[tuple[int, int, ast.AST]]] = {}
        returns: list[ast.Return] = []
        loop_layers: set[str] = set()  # `for layer in self.layers:` -> layer(x) is a layer call
        for st in nodes:
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        self.assigns.setdefault(t.id, []).append((st.lineno, st.end_lineno or st.lineno, st.value))
            elif isinstance(st, ast.Return) and st.value is not None:
                returns.append(st)
            elif isinstance(st, ast.For) and self._over_layers(st.iter):
                loop_layers |= {n.id for n in walk(st.target) if isinstance(n, ast.Name)}
        for v in self.assigns.values():
            v.sort(key=lambda x: x[0])
        return returns, loop_layers

    def _hidden(self, nodes: list, stack_by_attr: dict, loop_layers: set[str], seen: set) -> None:
        """Hidden: a sigmoid whose value is fed (through names and shape ops only) into a weighted layer."""
        for node in nodes:
            if not isinstance(node, ast.Call) or not self._is_layer_call(node.func, stack_by_attr, loop_layers):
                continue
            for a in node.args:
                for r in self._resolve(a, node.lineno, 0, through_binop=False):
                    if r["sig"] is not None and id(r["sig"]) not in seen:
                        seen.add(id(r["sig"]))
                        self._add_forward_activation(r, "hidden")

    def _self_attr(self, node: ast.AST) -> str | None:
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return node.attr
        return None

    def _over_layers(self, it: ast.AST) -> bool:
        if isinstance(it, ast.Call) and dotted(it.func) in ("enumerate", "zip", "reversed") and it.args:
            return any(self._over_layers(a) for a in it.args)
        attr = self._self_attr(it)
        return attr is not None and any(s.attr == attr for s in self.net.stacks)

    def _is_layer_call(self, func: ast.AST, stack_by_attr: dict, loop_layers: set[str]) -> bool:
        if isinstance(func, ast.Name):
            return func.id in loop_layers
        attr = self._self_attr(func)
        if attr is None:
            return False
        if isinstance(func, ast.Subscript):
            return attr in stack_by_attr
        layer = self.net.attr_layers.get(attr)
        return attr in stack_by_attr or (layer is not None and layer.weighted)

    def _add_forward_activation(self, r: dict, position: str) -> Activation | None:
        call: ast.Call = r["sig"]
        via = r["via"]
        if via == "stack":
            layer: Layer = r["layer"]
            for a in self.net.activations:
                if a.location == layer.location:
                    if position == "hidden":
                        a.position = "hidden"
                    else:
                        a.scaled, a.scale, a.offset = r["scaled"], r["scale"], r["offset"]
                    return a
            return None
        arg = call.args[0] if call.args else (call.func.value if isinstance(call.func, ast.Attribute) else None)
        bn = r.get("layer")
        act = Activation(
            name="by-name" if via == "by-name" else "Sigmoid",
            location=self.src.loc(call), network=self.net.name, role=self.net.role, position=position,
            via=via, scaled=r["scaled"], scale=r["scale"], offset=r["offset"],
            arg_src=self.src.seg(arg) if arg is not None else None, call_src=self.src.seg(call),
            by_name_param=bn.by_name_param if via == "by-name" and bn else None,
            by_name_key=bn.by_name_key if via == "by-name" and bn else None,
            getattr_location=bn.getattr_location if via == "by-name" and bn else None,
        )
        self.net.activations.append(act)
        return act

    def _sigmoid_call(self, node: ast.AST) -> dict | None:
        if not isinstance(node, ast.Call):
            return None
        f = node.func
        name = dotted(f)
        if name in SIGMOID_FUNCS and node.args:
            return {"sig": node, "via": "functional"}
        if isinstance(f, ast.Attribute) and f.attr in ("sigmoid", "sigmoid_") and not node.args:
            if not (name or "").startswith(("torch.", "F.")):
                return {"sig": node, "via": "functional"}
        if isinstance(f, ast.Call) and isinstance(f.func, ast.Attribute) and f.func.attr == "Sigmoid":
            return {"sig": node, "via": "functional"}
        if name and last(name) == "data_parallel" and node.args:
            f = node.args[0]  # nn.parallel.data_parallel(self.main, x, gpu_ids) runs self.main(x)
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
            layer = self.net.attr_layers.get(f.attr)
            if layer is not None and layer.kind == "Sigmoid":
                return {"sig": node, "via": "attribute"}
            if layer is not None and layer.kind == "by-name":
                return {"sig": node, "via": "by-name", "layer": layer}
            bn = self.byname_attrs.get(f.attr)
            if bn is not None:
                return {"sig": node, "via": "by-name", "layer": bn}
            for st in self.net.stacks:
                if st.attr == f.attr and st.kind == "sequential" and st.layers:
                    tail = st.layers[-1]
                    if tail.kind == "Sigmoid" and not tail.in_loop:
                        return {"sig": node, "via": "stack", "layer": tail}
        return None

    def _num(self, node: ast.AST) -> float | None:
        ok, val = literal(node)
        if not (ok and isinstance(val, (int, float)) and not isinstance(val, bool)):
            val = None
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                v = self.net.attr_values.get(node.attr)
                val = v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
        try:
            return None if val is None else float(val)
        except OverflowError:  # an integer beyond float range (fuzz input 7675): no number this reader can use
            return None

    def _resolve(self, node: ast.AST, before: int, depth: int, through_binop: bool = True) -> list[dict]:
        """Where a value comes from: sigmoid calls reached through names, shape ops and affine maps."""
        none = [{"sig": None}]
        if depth > 12:
            return none
        sig = self._sigmoid_call(node)
        if sig is not None:
            sig.update(scaled=False, scale=None, offset=None)
            return [sig]
        if isinstance(node, ast.Call):
            f = node.func
            name = dotted(f)
            if name and last(name) in TRANSPARENT and name.startswith("torch.") and node.args:
                # torch.flatten(out, 1): the function's first argument, not the module `torch`, is the value
                return self._resolve(node.args[0], before, depth + 1, through_binop)
            if isinstance(f, ast.Attribute) and f.attr in TRANSPARENT:
                return self._resolve(f.value, before, depth + 1, through_binop)
            return none
        if isinstance(node, ast.Name):
            hist = [(ln, v) for (ln, end, v) in self.assigns.get(node.id, []) if end < before]
            if not hist:
                return none
            ln, val = hist[-1]
            return self._resolve(val, ln, depth + 1, through_binop)
        if through_binop and isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add, ast.Sub, ast.Div)):
            out = []
            for side, other in ((node.left, node.right), (node.right, node.left)):
                for r in self._resolve(side, before, depth + 1):
                    if r["sig"] is None:
                        continue
                    r = dict(r)
                    num = self._num(other)
                    if isinstance(node.op, (ast.Mult, ast.Div)):
                        prev = 1.0 if not r["scaled"] else r["scale"]
                        r["scaled"] = True
                        if num is None or prev is None or (isinstance(node.op, ast.Div) and (side is node.right or not num)):
                            r["scale"] = None
                        else:
                            r["scale"] = prev * num if isinstance(node.op, ast.Mult) else prev / num
                    else:
                        r["offset"] = num
                    out.append(r)
            return out or none
        if through_binop and isinstance(node, ast.UnaryOp):
            return self._resolve(node.operand, before, depth + 1)
        return none
