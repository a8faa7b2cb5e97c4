"""nn.Module classes -> Network facts: stacks, layers, activations and their positions (syntax tree only)."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import Source, dotted, last, literal
from ganlint.reading.code.facts import Activation, Layer, Network, Stack, role_from_name

ACTIVATIONS = {
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "Hardsigmoid", "Softmax",
    "LogSigmoid", "PReLU", "SELU", "Mish", "Hardtanh", "ReLU6", "CELU", "Hardswish", "Tanhshrink",
    "Softsign", "LogSoftmax", "Identity", "GLU", "RReLU", "Threshold",
}
WEIGHTED = {
    "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
    "ConvTranspose3d", "Embedding", "LSTM", "GRU", "RNN", "MultiheadAttention",
}
NORMS = {
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm1d",
    "InstanceNorm2d", "InstanceNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "RMSNorm",
}
OTHER_LAYERS = {"Dropout", "Dropout2d", "Flatten", "Unflatten", "Upsample", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"}
TORCH_LAYERS = ACTIVATIONS | WEIGHTED | NORMS | OTHER_LAYERS | {"Sequential", "ModuleList", "ModuleDict"}
TRANSPARENT = {
    "squeeze", "unsqueeze", "view", "reshape", "flatten", "contiguous", "float", "double", "clone", "to",
    "permute", "transpose", "view_as", "reshape_as", "cpu", "cuda", "type", "half", "squeeze_", "unsqueeze_",
}
SIGMOID_FUNCS = {"torch.sigmoid", "F.sigmoid", "torch.nn.functional.sigmoid", "nn.functional.sigmoid", "sigmoid",
                 "functional.sigmoid", "torch.special.expit", "expit"}
_NN_PREFIXES = ("nn.", "torch.nn.", "")


def is_module_base(name: str) -> bool:
    return last(name) in ("Module", "LightningModule")


def _torch_layer_name(call: ast.Call) -> str | None:
    name = dotted(call.func)
    if not name:
        return None
    ln = last(name)
    if ln in TORCH_LAYERS and (name == ln or name.startswith(("nn.", "torch.nn."))):
        return ln
    return None


class NetworkReader:
    def __init__(self, src: Source, node: ast.ClassDef, tables: set[str] | None = None):
        self.src = src
        self.tables = tables or set()
        self.node = node
        bases = [dotted(b) or "" for b in node.bases]
        self.net = Network(
            name=node.name,
            role=role_from_name(node.name),
            location=src.loc(node),
            bases=bases,
            is_module=any(is_module_base(b) for b in bases if b),
        )
        self.attr_params: dict[str, str] = {}
        self.byname_attrs: dict[str, Layer] = {}

    def read(self) -> Network:
        init = fwd = None
        for st in self.node.body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if st.name == "__init__":
                    init = st
                elif st.name == "forward":
                    fwd = st
        if init is not None:
            a = init.args
            self.net.params = [x.arg for x in (a.posonlyargs + a.args)[1:]] + [x.arg for x in a.kwonlyargs]
            self._init(init)
        self._stack_activations()
        if fwd is not None:
            self._forward(fwd)
        elif len(self.net.stacks) == 1:
            # no forward to read (inherited or elsewhere): the only stack's last layer is the output
            tail = [a for a in self.net.activations if a.position == "final" and a.name == "Sigmoid"]
            if tail and tail[-1].location == self.net.stacks[0].layers[-1].location:
                self.net.final_sigmoid = tail[-1]
        return self.net

    # -- __init__ ---------------------------------------------------------------------------------
    def _init(self, fn: ast.FunctionDef) -> None:
        self.env: dict[str, tuple[str, object]] = {}
        self.loops: list[tuple[set[str], str | None]] = []
        self._block(fn.body)

    def _block(self, body: list[ast.stmt]) -> None:
        for st in body:
            self._stmt(st)

    def _loop_param(self, it: ast.AST) -> str | None:
        for n in walk(it):
            if isinstance(n, ast.Name) and n.id in self.net.params:
                return n.id
            if isinstance(n, ast.Attribute) and n.attr in self.attr_params:
                return self.attr_params[n.attr]
        return None

    def _stmt(self, st: ast.stmt) -> None:
        if isinstance(st, ast.For):
            names = {n.id for n in walk(st.target) if isinstance(n, ast.Name)}
            self.loops.append((names, self._loop_param(st.iter)))
            self._block(st.body)
            self.loops.pop()
            self._block(st.orelse)
            return
        if isinstance(st, (ast.If, ast.While)):
            self._block(st.body)
            self._block(st.orelse)
            return
        if isinstance(st, (ast.With, ast.Try)):
            self._block(st.body)
            for h in getattr(st, "handlers", []):
                self._block(h.body)
            return
        if isinstance(st, ast.Assign) and len(st.targets) == 1:
            self._assign(st.targets[0], st.value)
            return
        if isinstance(st, ast.AnnAssign) and st.value is not None:
            self._assign(st.target, st.value)
            return
        if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
            kind = self.env.get(st.target.id)
            if kind and kind[0] == "list":
                kind[1].extend(self._layers_of(st.value))
            return
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            call = st.value
            f = call.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                kind = self.env.get(f.value.id)
                if kind and kind[0] == "list" and call.args:
                    if f.attr == "append":
                        kind[1].extend(self._layers_of(call.args[0]))
                    elif f.attr == "extend":
                        kind[1].extend(self._layers_of(call.args[0]))
                    elif f.attr == "insert" and len(call.args) > 1:
                        kind[1].extend(self._layers_of(call.args[1]))
            elif isinstance(f, ast.Attribute) and f.attr == "add_module" and len(call.args) > 1:
                for l in self._layers_of(call.args[1]):
                    self._note_norm(l)

    def _byname(self, call: ast.AST) -> Layer | None:
        """getattr(nn, name[, default]), ACTS[name], ACTS.get(name, default) -> a by-name activation template."""
        default_node = None
        if isinstance(call, ast.Subscript) and dotted(call.value) in self.tables:
            name_node = call.slice
        elif isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "get" \
                and dotted(call.func.value) in self.tables and call.args:
            name_node = call.args[0]
            default_node = call.args[1] if len(call.args) > 1 else None
        elif isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "getattr" \
                and len(call.args) >= 2 and dotted(call.args[0]) in ("nn", "torch.nn", "torch.nn.modules.activation", "activation"):
            name_node = call.args[1]
            default_node = call.args[2] if len(call.args) > 2 else None
        else:
            return None
        param = key = None
        if isinstance(name_node, ast.Name) and name_node.id in self.net.params:
            param = name_node.id
        elif isinstance(name_node, ast.Attribute) and name_node.attr in self.attr_params:
            param = self.attr_params[name_node.attr]
        else:
            ref = self.src.config_ref(name_node)
            if ref is None:
                return None
            key = ref.key
        default = None
        if default_node is not None:
            d = default_node
            default = last(dotted(d.func if isinstance(d, ast.Call) else d)) or None
        return Layer(
            kind="by-name", location=self.src.loc(call), is_activation=True, by_name_param=param,
            by_name_key=key, by_name_default=default, getattr_location=self.src.loc(call),
        )

    def _assign(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts):
                    self._assign(t, v)
            return
        if isinstance(target, ast.Name):
            t = target.id
            if isinstance(value, (ast.Call, ast.Subscript)):
                bn = self._byname(value)
                if bn is not None:
                    self.env[t] = ("byname", bn)
                    return
            vname = dotted(value)
            if vname and last(vname) in ACTIVATIONS and vname.startswith(_NN_PREFIXES[:2]):
                self.env[t] = ("actclass", last(vname))
                return
            if isinstance(value, (ast.List, ast.Tuple)):
                self.env[t] = ("list", self._layers_of(value))
                return
            if isinstance(value, ast.Call):
                layers = self._layers_of(value)
                if layers:
                    self.env[t] = ("list", layers) if _torch_layer_name(value) == "Sequential" else ("layer", layers[0])
            return
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            attr = target.attr
            if isinstance(value, ast.Name) and value.id in self.net.params:
                self.attr_params[attr] = value.id
                return
            ok, val = literal(value)
            if ok:
                self.net.attr_values[attr] = val
                return
            if isinstance(value, (ast.Call, ast.Subscript)):
                bn = self._byname(value)
                if bn is not None:
                    self.byname_attrs[attr] = bn
                    return
            if isinstance(value, ast.Call):
                tl = _torch_layer_name(value)
                if tl in ("Sequential", "ModuleList"):
                    layers = []
                    for a in value.args:
                        layers.extend(self._layers_of(a))
                    self.net.stacks.append(Stack(attr, tl.lower(), layers, self.src.loc(value)))
                    return
                layers = self._layers_of(value)
                if len(layers) == 1:
                    self.net.attr_layers[attr] = layers[0]
            elif isinstance(value, ast.Name):
                kind = self.env.get(value.id)
                if kind and kind[0] == "layer":
                    self.net.attr_layers[attr] = kind[1]
                elif kind and kind[0] == "list":
                    self.net.stacks.append(Stack(attr, "list", list(kind[1]), self.src.loc(value)))

    def _note_norm(self, layer: Layer) -> None:
        if layer.kind in NORMS and layer not in self.net.norms:
            self.net.norms.append(layer)

    def _layers_of(self, node: ast.AST) -> list[Layer]:
        out: list[Layer] = []
        in_loop = bool(self.loops)
        if isinstance(node, (ast.List, ast.Tuple)):
            for e in node.elts:
                out.extend(self._layers_of(e))
            return out
        if isinstance(node, ast.Starred):
            return self._layers_of(node.value)
        if isinstance(node, ast.ListComp):
            return []
        if isinstance(node, ast.Name):
            kind = self.env.get(node.id)
            if kind and kind[0] == "list":
                return list(kind[1])
            if kind and kind[0] == "layer":
                return [kind[1]]
            return []
        if not isinstance(node, ast.Call):
            return []
        fname = dotted(node.func)
        if isinstance(node.func, ast.Name) and node.func.id in self.env:
            kind, val = self.env[node.func.id]
            if kind == "byname":
                tmpl: Layer = val  # type: ignore[assignment]
                return [Layer(**{**tmpl.__dict__, "location": self.src.loc(node), "in_loop": in_loop})]
            if kind == "actclass":
                return [Layer(kind=str(val), location=self.src.loc(node), is_activation=True, in_loop=in_loop)]
        if isinstance(node.func, (ast.Call, ast.Subscript)):  # getattr(nn, name)(), ACTS[name]()
            bn = self._byname(node.func)
            if bn is not None:
                bn.location = self.src.loc(node)
                bn.in_loop = in_loop
                return [bn]
        if last(fname) in ("spectral_norm", "weight_norm") and node.args:
            return self._layers_of(node.args[0])
        tl = _torch_layer_name(node)
        if tl is None:
            return [Layer(kind="unknown", location=self.src.loc(node), in_loop=in_loop)] if fname and fname[:1].isupper() else []
        if tl == "Sequential":
            for a in node.args:
                out.extend(self._layers_of(a))
            return out
        if tl in ("ModuleList", "ModuleDict"):
            return []
        layer = Layer(kind=tl, location=self.src.loc(node), in_loop=in_loop)
        if tl in ACTIVATIONS:
            layer.is_activation = True
        elif tl in WEIGHTED:
            layer.weighted = True
            wnode = node.args[1] if len(node.args) > 1 else None
            for kw in node.keywords:
                if kw.arg in ("out_features", "out_channels", "hidden_size", "embedding_dim"):
                    wnode = kw.value
            if wnode is not None:
                ok, val = literal(wnode)
                if ok and isinstance(val, int):
                    layer.width = val
                elif isinstance(wnode, ast.Name):
                    for names, param in reversed(self.loops):
                        if wnode.id in names and param:
                            layer.width_from_loop = param
                            break
        self._note_norm(layer)
        return [layer]

    def _stack_activations(self) -> None:
        for st in self.net.stacks:
            for i, layer in enumerate(st.layers):
                if not layer.is_activation or not (layer.kind == "Sigmoid" or layer.kind == "by-name"):
                    continue
                after = st.layers[i + 1 :]
                if any(l.weighted for l in after):
                    pos = "hidden"
                elif layer.in_loop:
                    pos = "unknown"  # the loop's last iteration ends the stack, earlier ones do not
                else:
                    pos = "final"
                self.net.activations.append(
                    Activation(
                        name="Sigmoid" if layer.kind == "Sigmoid" else "by-name",
                        location=layer.location, network=self.net.name, role=self.net.role, position=pos,
                        via="module" if layer.kind == "Sigmoid" else "by-name",
                        by_name_param=layer.by_name_param, by_name_key=layer.by_name_key,
                        getattr_location=layer.getattr_location, call_src=self.src.seg(None),
                    )
                )

    # -- forward ----------------------------------------------------------------------------------
    def _forward(self, fn: ast.FunctionDef) -> None:
        # name -> [(first line, last line, value)] of its assignments, in order
        self.assigns: dict[str, list[tuple[int, int, ast.AST]]] = {}
        returns: list[ast.Return] = []
        loop_layers: set[str] = set()  # `for layer in self.layers:` -> layer(x) is a layer call
        nodes = list(walk(fn))
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
        stack_by_attr = {s.attr: s for s in self.net.stacks}
        seen: set = set()
        # hidden: a sigmoid whose value is fed (through names and shape ops only) into a weighted layer
        for node in nodes:
            if not isinstance(node, ast.Call) or not self._is_layer_call(node.func, stack_by_attr, loop_layers):
                continue
            for a in node.args:
                for r in self._resolve(a, node.lineno, 0, through_binop=False):
                    if r["sig"] is not None and id(r["sig"]) not in seen:
                        seen.add(id(r["sig"]))
                        self._add_forward_activation(r, "hidden")
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
        if ok and isinstance(val, (int, float)) and not isinstance(val, bool):
            return float(val)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            v = self.net.attr_values.get(node.attr)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return float(v)
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
            if isinstance(f, ast.Attribute) and f.attr in TRANSPARENT:
                return self._resolve(f.value, before, depth + 1, through_binop)
            name = dotted(f)
            if name and last(name) in TRANSPARENT and name.startswith("torch.") and node.args:
                return self._resolve(node.args[0], before, depth + 1, through_binop)
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


def activation_tables(body: list[ast.stmt]) -> set[str]:
    """Module-level dicts mapping names to activations: ACTS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}."""
    out = set()
    for st in body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) \
                and isinstance(st.value, ast.Dict) and st.value.values:
            vals = [last(dotted(v.func if isinstance(v, ast.Call) else v)) for v in st.value.values]
            if sum(v in ACTIVATIONS for v in vals) >= max(1, len(vals) // 2):
                out.add(st.targets[0].id)
    return out


def read_network(src: Source, node: ast.ClassDef, tables: set[str] | None = None) -> Network:
    return NetworkReader(src, node, tables).read()
