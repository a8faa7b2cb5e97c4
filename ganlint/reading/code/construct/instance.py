"""User classes in construction code: running an `__init__` on an instance (with its user base classes),
and what the instance holds afterwards (its stacks, single layers and submodules, and their parameters)."""
from __future__ import annotations

import ast
from collections import ChainMap
from typing import Any

from ganlint.reading.code.astutil import dotted, last
from ganlint.reading.code.construct.values import Func, Instance, UserClass
from ganlint.reading.code.facts import Layer


class Collector:
    """The modules assigned to one instance, in the order of their first assignment."""

    def __init__(self) -> None:
        self.attrs: dict[str, tuple[Any, ast.AST]] = {}

    def on_self(self, attr: str, value: Any, st: ast.AST) -> None:
        self.attrs[attr] = (value, st)

    def layers(self) -> list[Layer]:
        """Every layer the instance holds (submodules as one layer each), each once."""
        out: list[Layer] = []
        seen: set[int] = set()

        def add(v: Any) -> None:
            if isinstance(v, Instance):
                v = v.module
            if isinstance(v, Layer) and id(v) not in seen:
                seen.add(id(v))
                out.append(v)

        for value, _st in self.attrs.values():
            if isinstance(value, list):
                for item in value:
                    add(item)
            else:
                add(value)
        return out


def param_count(layers: list[Layer]) -> int | None:
    """Total parameters when every layer's count is known and every layer surely exists, else None."""
    total = 0
    for l in layers:
        if l.params is None or l.in_loop or not l.certain:
            return None
        total += l.params
    return total


def param_floor(layers: list[Layer]) -> int | None:
    """The parameters the layers have at least: every layer surely exists (none in a loop over unknown
    sizes or under an undecided condition); a layer whose width is unknown (`Linear(z_dim, 4096)` with z_dim
    given elsewhere) counts as if that width were 1, an opaque submodule counts nothing. None when the
    structure itself is not known."""
    total = 0
    for l in layers:
        if l.in_loop or not l.certain:
            return None
        total += l.params if l.params is not None else (l.params_min or 0)
    return total


def least_params_held(layers: list[Layer]) -> int:
    """The parameters a submodule has at least: its layers surely built (a layer under a condition its
    arguments leave open, or in a loop, may add more, never fewer), unknown widths counted as 1."""
    return sum(l.params if l.params is not None else (l.params_min or 0)
               for l in layers if l.certain and not l.in_loop)


def param_affine(layers: list[Layer]) -> tuple[int, int, str] | None:
    """The count as slope * n + constant in one width n: ("in") exactly, when every layer's count is known
    but the first layer's, whose in-width is n (a critic's image input); ("out") at least, when the last
    layer's out-width is n (a generator's image output) and other unknown widths count as 1."""
    weighted = [l for l in layers if l.weighted]
    if not weighted or any(l.in_loop or not l.certain for l in layers):
        return None
    open_ = [l for l in layers if l.params is None]
    last = weighted[-1]
    if last.params is None and last.params_slope is not None and last.params_slope[1] == "out":
        if any(l.params_min is None for l in open_):
            return None
        slope = last.params_slope[0]
        floor = sum(l.params if l.params is not None else l.params_min for l in layers)
        return slope, floor - slope, "out"
    first = weighted[0]
    if open_ != [first] or first.params_slope is None or first.params_slope[1] != "in" or first.params_min is None:
        return None
    slope = first.params_slope[0]
    return slope, sum(l.params for l in layers if l is not first) + first.params_min - slope, "in"


def _freeze(value: Any) -> Any:
    """A hashable form of plain arguments, None when one is not plain (a layer, an unknown, ...)."""
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    if isinstance(value, (tuple, list)):
        items = [_freeze(v) for v in value]
        return None if any(i is None and v is not None for i, v in zip(items, value)) else (type(value).__name__, *items)
    return None


class InstanceMixin:
    class_stack: list[UserClass]

    def base_of(self, cls: UserClass | None) -> UserClass | None:
        if cls is None:
            return None
        for b in cls.node.bases:
            v = self.globals.get(last(dotted(b)))
            if isinstance(v, UserClass) and v.node is not None and v.node is not cls.node:
                return v
        return None

    def methods_of(self, cls: UserClass, inst: Instance) -> dict[str, Func]:
        out: dict[str, Func] = {}
        chain = []
        c: UserClass | None = cls
        while c is not None and c.node is not None and len(chain) < 8 and c not in chain:
            chain.append(c)
            c = self.base_of(c)
        for c in reversed(chain):  # subclasses override
            for st in c.node.body:
                if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[st.name] = Func(st, ChainMap({}, self.globals), inst)
        return out

    def run_init(self, cls: UserClass, inst: Instance, args: list, kwargs: dict) -> None:
        c: UserClass | None = cls
        for _ in range(8):
            if c is None or c.node is None:
                return
            init = next((s for s in c.node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
            if init is not None:
                break
            c = self.base_of(c)
        else:
            return
        if c is None or init is None or self.depth > 8:
            return
        self.class_stack.append(c)
        try:
            self.call_func(Func(init, ChainMap({}, self.globals), inst), args, kwargs)
        finally:
            self.class_stack.pop()

    def _weights_unseen(self, cls: UserClass) -> bool:
        """A class whose weights the layers it builds do not show: a subclass of a torch class other than
        Module (its base's __init__ makes them), or one registering parameters (nn.Parameter) itself."""
        c: UserClass | None = cls
        for _ in range(8):
            if c is None or c.node is None:
                return False
            for b in c.node.bases:
                base = last(dotted(b) or "")
                if base not in ("Module", "object") and not isinstance(self.globals.get(base), UserClass):
                    return True
            if any(isinstance(n, (ast.Attribute, ast.Name)) and (n.attr if isinstance(n, ast.Attribute) else n.id)
                   in _REGISTERS for n in ast.walk(c.node)):
                return True
            c = self.base_of(c)
        return False

    def instantiate(self, cls: UserClass, args: list, kwargs: dict, node: ast.Call) -> Any:
        """A user class constructed: recorded at module level, built as a submodule inside an __init__."""
        if self.record_calls is not None:
            return self.record_calls(cls, args, kwargs, node)
        if self.depth > 6 or cls.node is None:  # cls.node None: a class of another file, opaque here
            layer = self.unknown_layer(node)
            return Instance(cls.name, module=layer)
        key = _freeze((cls.name, tuple(args), tuple(sorted(kwargs.items(), key=lambda kv: str(kv[0])))))
        cache = self.globals.setdefault("__built__", {})
        if key is not None and key in cache:  # the same block built again (16 residual blocks): its count
            layer = self.unknown_layer(node)
            layer.params, made, layer.kind, layer.params_min, layer.block_width = cache[key]
            self.created.extend(made)  # its norms belong to this network too
            return Instance(cls.name, module=layer)
        inst = Instance(cls.name)
        saved = (self.self_obj, self.on_self, self.loops, self.cond, self.src, self.globals)
        unseen = False
        if cls.home is not None:  # a class of another file of the project: its names, its file's locations
            self.src, self.globals = cls.home.src, cls.home.globals
            unseen = self._weights_unseen(cls)  # another file's SNConv2d(conv._ConvNd), nn.Parameter weights
        start = len(self.created)
        collector = Collector()
        try:
            inst.methods = self.methods_of(cls, inst)
            self.self_obj, self.on_self = inst, collector.on_self
            self.run_init(cls, inst, args, kwargs)
        finally:
            self.self_obj, self.on_self, self.loops, self.cond, self.src, self.globals = saved
        if cls.home is not None:
            for l in self.created[start:]:
                self.in_nodes.pop(id(l), None)  # argument nodes of another file's tree: no origin here
        layer = self.unknown_layer(node)
        layer.params = param_count(collector.layers())
        if layer.params is None:
            layer.params_min = least_params_held(collector.layers())
        if unseen:
            layer.params = layer.params_min = None
        widths = [l.width if l.weighted else l.block_width for l in collector.layers() if l.weighted or l.block_width]
        if widths and all(isinstance(w, int) for w in widths) and not unseen:
            layer.block_width = max(widths)
        if _weightless(cls, collector):
            layer.kind, layer.params = "weightless-module", 0  # Reshape/View: a step of the stack, not a layer
        inst.module = layer
        if key is not None:
            cache[key] = (layer.params, self.created[start:], layer.kind, layer.params_min, layer.block_width)
        return inst


_PLAIN_ATTR = (int, float, str, bool, type(None), tuple)
_REGISTERS = {"Parameter", "ParameterList", "ParameterDict", "register_parameter", "register_buffer", "add_module",
              "register_module", "setattr", "__setattr__", "load_state_dict"}


def _weightless(cls: UserClass, collector: Collector) -> bool:
    """A user module that surely holds no weights: a direct nn.Module subclass whose __init__ stores only plain
    values (`self.shape = shape`) and registers nothing by other means."""
    node = cls.node
    if node is None or len(node.bases) != 1 or last(dotted(node.bases[0])) != "Module":
        return False
    if any(not isinstance(v, _PLAIN_ATTR) for v, _st in collector.attrs.values()):
        return False
    for sub in ast.walk(node):
        name = sub.attr if isinstance(sub, ast.Attribute) else sub.id if isinstance(sub, ast.Name) else None
        if name in _REGISTERS:
            return False
    return True


__all__ = ["Collector", "InstanceMixin", "param_count", "param_floor"]
