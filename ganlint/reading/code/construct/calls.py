"""Calls in model-construction code: torch.nn layers, builtins, numpy/math, list and dict methods, user
functions and classes (mixed into the Evaluator)."""
from __future__ import annotations

import ast
import math
from collections import ChainMap
from typing import Any

from ganlint.reading.code.astutil import dotted, last
from ganlint.reading.code.construct.layers import (
    ACTIVATIONS, TORCH_LAYERS, WEIGHTED, describe, least_params, signature, size_slope,
)
from ganlint.reading.code.construct.values import (
    ABSENT, UNKNOWN, ByName, Func, Instance, KeyStr, Namespace, NNClass, Seq, TorchFunc, Unknown, UserClass, known, lookup,
)
from ganlint.reading.code.facts import Layer

_PROD = {"np.prod", "numpy.prod", "math.prod", "np.product", "numpy.product", "torch.prod", "prod"}
_MATH = {"ceil": math.ceil, "floor": math.floor, "sqrt": math.sqrt, "log2": math.log2, "log": math.log}
_WRAPPING = {"spectral_norm", "weight_norm", "SpectralNorm", "deepcopy", "copy"}
_LIBRARIES = {"nn", "torch", "F", "np", "numpy", "math", "init"}
_RETURNS_SELF = {"to", "cuda", "cpu", "apply", "float", "double", "half", "train", "eval", "requires_grad_", "type"}


def _int_like(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class CallsMixin:
    def unknown_layer(self, node: ast.AST) -> Layer:
        return Layer(kind="unknown", location=self.src.loc(node), in_loop=bool(self.loops), certain=self.cond == 0)

    def call(self, node: ast.Call, env: ChainMap) -> Any:
        f = node.func
        args = []
        star_unknown = False
        for a in node.args:
            if isinstance(a, ast.Starred):
                v = self.ev(a.value, env)
                if isinstance(v, (list, tuple)):
                    args.extend(v)
                else:
                    star_unknown = True
                    args.append(self.unknown_layer(a))
            else:
                args.append(self.ev(a, env))
        kwargs: dict = {}
        for kw in node.keywords:
            v = self.ev(kw.value, env)
            if kw.arg is None:
                if isinstance(v, dict) and all(isinstance(k, str) for k in v):
                    kwargs.update(v)
                else:
                    kwargs[None] = UNKNOWN
            else:
                kwargs[kw.arg] = v
        if isinstance(f, ast.Attribute) and f.value.__class__ is ast.Name and f.value.id in _LIBRARIES \
                and lookup(env, f.value.id) is ABSENT:
            fv = self.ev(f, env)  # nn.Linear, torch.cat, np.prod: a library's function, never a method
        elif isinstance(f, ast.Attribute):
            if f.attr == "__init__":
                return self.init_call(f, node, args, kwargs, env)
            obj = self.ev(f.value, env)
            if not isinstance(obj, (NNClass, TorchFunc)) or isinstance(obj, Instance):
                handled, out = self.method(obj, f.attr, args, kwargs, node)
                if handled:
                    return out
            fv = getattr(obj, "methods", {}).get(f.attr) if isinstance(obj, Instance) else self.ev(f, env)
        else:
            name = f.id if isinstance(f, ast.Name) else None
            if name is not None and lookup(env, name) is ABSENT and name not in self.globals:
                handled, out = self.builtin(name, args, kwargs, node, env)
                if handled:
                    return out
            fv = self.ev(f, env)
        fname = dotted(f)
        lname = last(fname)
        if fname in _PROD or lname in _MATH and (fname or "").startswith(("math.", "np.", "numpy.")):
            return self.numeric_call(lname, args)
        if lname in _WRAPPING and args:
            return args[0]
        if isinstance(fv, NNClass):
            return self.make_layer(fv.name, node, args, kwargs)
        if isinstance(fv, ByName):
            return Layer(kind="by-name", location=self.src.loc(node), is_activation=True, by_name_param=fv.param,
                         by_name_key=fv.key, by_name_default=fv.default, getattr_location=fv.location,
                         in_loop=bool(self.loops), certain=self.cond == 0)
        if isinstance(fv, Func):
            if star_unknown:
                return UNKNOWN
            return self.call_func(fv, args, kwargs)
        if isinstance(fv, UserClass):
            return self.instantiate(fv, args, kwargs, node)
        if isinstance(fv, tuple) and len(fv) == 3 and fv[0] == "method":
            return self.method(fv[1], fv[2], args, kwargs, node)[1]
        if self.record_helper is not None and isinstance(fv, Unknown) and fname and not star_unknown \
                and self.record_helper(fname, args, kwargs):
            return UNKNOWN  # `get_models(...)` / `models.get_models(...)` of another file: run once linked
        if fname and lname[:1].isupper() and not isinstance(fv, (Layer, Seq, Instance)):
            if self.record_calls is not None and isinstance(fv, Unknown) and fname not in TORCH_LAYERS:
                # a class from another file (`from models import Generator`): the project links it later
                return self.record_calls(UserClass(last(fname), None), args, kwargs, node)
            return self.unknown_layer(node)
        return UNKNOWN

    # -- torch.nn ---------------------------------------------------------------------------------
    def make_layer(self, kind: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if kind not in TORCH_LAYERS:
            return self.unknown_layer(node)
        if kind in ("Sequential", "ModuleList", "ModuleDict"):
            seq = Seq()
            seq.kind = kind.lower() if kind != "ModuleDict" else "modulelist"
            seq.location = self.src.loc(node)
            items: list = []
            for a in args:
                if isinstance(a, dict):
                    items.extend(a.values())
                elif isinstance(a, (list, tuple)) and kind != "Sequential":
                    items.extend(a)
                else:
                    items.append(a)
            for it in items:
                if isinstance(it, Seq):
                    seq.extend(it)  # a Sequential inside a Sequential: its layers, in order
                elif isinstance(it, (Layer, Instance)):
                    seq.append(it)
                else:
                    seq.append(self.unknown_layer(node))
            return seq
        bound = dict(zip(signature(kind), args))
        bound.update((k, v) for k, v in kwargs.items() if k is not None)
        layer = Layer(kind=kind, location=self.src.loc(node), in_loop=bool(self.loops), certain=self.cond == 0)
        layer.is_activation = kind in ACTIVATIONS
        layer.weighted = kind in WEIGHTED
        if None not in kwargs:
            layer.in_width, out, layer.params = describe(kind, bound)
            if layer.params is None:
                layer.params_min = least_params(kind, bound)
                layer.params_slope = size_slope(kind, bound) if layer.params_min is not None else None
        else:
            out = None
        if layer.weighted:
            wv = args[1] if len(args) > 1 else None
            for k in ("out_features", "out_channels", "hidden_size", "embedding_dim"):
                if k in kwargs:
                    wv = kwargs[k]
            if out is None and isinstance(wv, int) and not isinstance(wv, bool):
                out = wv
            layer.width = out
            if isinstance(wv, Unknown) and wv.loop:
                layer.width_from_loop = wv.loop
        self.created.append(layer)
        in_node = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg in ("in_features", "in_channels", "num_embeddings")), None)
        if in_node is not None:
            self.in_nodes[id(layer)] = in_node
        return layer

    def by_name_of(self, table: dict, key: Any, key_node: ast.AST, node: ast.AST) -> Any:
        """ACTS[name] with the name unknown: an activation picked by name, when the table holds activations."""
        if not any(isinstance(v, NNClass) for v in table.values()):
            return UNKNOWN
        return self.by_name(key, key_node, None, node)

    def by_name(self, value: Any, name_node: ast.AST, default: Any, node: ast.AST) -> Any:
        dname = default.name if isinstance(default, NNClass) else None
        if isinstance(value, KeyStr):
            return ByName(None, value.key, dname, self.src.loc(node))
        if isinstance(value, Unknown) and (value.param or value.key):
            return ByName(value.param if not value.key else None, value.key, dname, self.src.loc(node))
        if isinstance(name_node, ast.Name) and name_node.id in self.init_params:
            return ByName(name_node.id, None, dname, self.src.loc(node))
        if isinstance(value, str):
            return NNClass(value) if value in TORCH_LAYERS else (default if default is not None else UNKNOWN)
        ref = self.src.config_ref(name_node)
        if ref is not None:
            return ByName(None, ref.key, dname, self.src.loc(node))
        return UNKNOWN

    # -- builtins and libraries -------------------------------------------------------------------
    def numeric_call(self, name: str, args: list) -> Any:
        if name in ("prod", "product") and args:
            seq = args[0]
            if isinstance(seq, (list, tuple)) and all(_int_like(v) for v in seq):
                return math.prod(seq)
            return args[0] if _int_like(args[0]) else UNKNOWN
        fn = _MATH.get(name)
        if fn is not None and args and all(_int_like(a) for a in args):
            try:
                return fn(*args)
            except (ValueError, OverflowError, TypeError):
                return UNKNOWN
        return UNKNOWN

    def builtin(self, name: str, args: list, kwargs: dict, node: ast.Call, env: ChainMap) -> tuple[bool, Any]:
        a0 = args[0] if args else UNKNOWN
        if name in ("int", "float", "bool", "str"):
            if not args:
                return True, {"int": 0, "float": 0.0, "bool": False, "str": ""}[name]
            if isinstance(a0, (int, float, str, bool)):
                try:
                    out = {"int": int, "float": float, "bool": bool, "str": str}[name](a0)
                except (ValueError, OverflowError):
                    return True, UNKNOWN
                return True, out if name != "str" or not isinstance(a0, KeyStr) else a0
            return True, a0 if isinstance(a0, Unknown) else UNKNOWN  # int(opt.nz): still that key
        if name == "len":
            return True, len(a0) if isinstance(a0, (list, tuple, str, dict)) else UNKNOWN
        if name == "range":
            if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args) and len(args) <= 3:
                try:
                    r = range(*args)
                except ValueError:
                    return True, UNKNOWN
                return True, r if len(r) <= 4096 else UNKNOWN
            return True, Unknown(param=a0.param) if isinstance(a0, Unknown) and len(args) == 1 else UNKNOWN
        if name in ("list", "tuple", "sorted", "reversed"):
            if not args:
                return True, [] if name == "list" else ()
            if isinstance(a0, (list, tuple, range, str, dict)):
                seq = list(a0)
                seq = sorted(seq) if name == "sorted" and all(_int_like(v) for v in seq) else \
                    list(reversed(seq)) if name == "reversed" else seq if name != "sorted" else None
                if seq is None:
                    return True, UNKNOWN
                return True, tuple(seq) if name == "tuple" else seq
            return True, a0 if isinstance(a0, Unknown) else UNKNOWN
        if name in ("min", "max", "sum", "abs", "round"):
            seq = a0 if len(args) == 1 and isinstance(a0, (list, tuple, range)) else args
            if seq and all(_int_like(v) for v in seq):
                return True, {"min": min, "max": max, "sum": sum}[name](seq) if name in ("min", "max", "sum") else \
                    abs(seq[0]) if name == "abs" else round(*seq[:2])
            return True, UNKNOWN
        if name == "zip":
            if args and all(isinstance(a, (list, tuple, range)) for a in args):
                return True, list(zip(*args))
            loop = next((a.param or a.loop for a in args if isinstance(a, Unknown)), None)
            return True, Unknown(param=loop)
        if name == "enumerate":
            if isinstance(a0, (list, tuple, range)):
                return True, list(enumerate(a0))
            return True, Unknown(param=a0.param if isinstance(a0, Unknown) else None)
        if name == "getattr" and len(args) >= 2:
            obj, key = args[0], args[1]
            default = args[2] if len(args) > 2 else None
            if isinstance(node.args[0], (ast.Name, ast.Attribute)) and dotted(node.args[0]) in (
                    "nn", "torch.nn", "torch.nn.modules.activation", "activation"):
                return True, self.by_name(key, node.args[1], default, node)
            if isinstance(obj, Namespace) and isinstance(key, str):
                return True, obj.get(key)
            if isinstance(obj, Instance) and isinstance(key, str):
                return True, obj.attrs.get(key, default if default is not None else UNKNOWN)
            return True, UNKNOWN
        if name == "dict":
            return True, dict(kwargs) if not args and None not in kwargs else UNKNOWN
        if name == "OrderedDict":
            if isinstance(a0, (list, tuple)) and all(isinstance(p, tuple) and len(p) == 2 for p in a0):
                return True, {k: v for k, v in a0 if isinstance(k, str)}
            return True, {}
        if name == "vars":
            return True, dict(a0.values) if isinstance(a0, Namespace) else UNKNOWN
        if name in ("print", "isinstance", "hasattr", "super", "setattr", "format"):
            return True, ("super",) if name == "super" else UNKNOWN
        return False, None

    # -- methods ----------------------------------------------------------------------------------
    def method(self, obj: Any, attr: str, args: list, kwargs: dict, node: ast.Call) -> tuple[bool, Any]:
        a0 = args[0] if args else None
        if isinstance(obj, list):
            if attr == "append" and args:
                obj.append(a0)
                return True, None
            if attr == "extend" and args:
                obj.extend(a0 if isinstance(a0, (list, tuple)) else [self.unknown_layer(node)])
                return True, None
            if attr == "insert" and len(args) > 1:
                obj.insert(a0 if isinstance(a0, int) else len(obj), args[1])
                return True, None
            if attr == "add_module" and len(args) > 1:
                obj.append(args[1])
                return True, None
            if attr in _RETURNS_SELF:
                return True, obj
            if attr == "pop":
                return True, UNKNOWN
        if isinstance(obj, dict):
            if attr == "get" and args:
                return True, obj.get(a0, args[1] if len(args) > 1 else None) if known(a0) and not isinstance(
                    a0, (list, dict)) else self.by_name_of(obj, a0, node.args[0], node)
            if attr in ("keys", "values", "items"):
                return True, list(getattr(obj, attr)())
        if isinstance(obj, Namespace) and attr == "get" and isinstance(a0, str):
            v = obj.get(a0)
            return True, (args[1] if len(args) > 1 else None) if isinstance(v, Unknown) and a0 not in obj.values else v
        if isinstance(obj, Instance):
            if attr in ("add_module", "register_module") and len(args) > 1:
                if obj is self.self_obj and self.on_self is not None:
                    self.on_self(a0 if isinstance(a0, str) else f"_module{len(obj.attrs)}", args[1], node)
                return True, None
            if attr in _RETURNS_SELF:
                return True, obj
        if isinstance(obj, (Layer, Seq)) and attr in _RETURNS_SELF:
            return True, obj
        if isinstance(obj, str) and attr in ("lower", "upper", "strip", "capitalize", "title"):
            return True, getattr(str, attr)(obj)
        if isinstance(obj, str) and attr == "split" and all(isinstance(a, str) for a in args):
            return True, obj.split(*args)
        if attr in ("parse_args", "parse_known_args") and isinstance(self.globals.get("__flags__"), dict):
            ns = Namespace(dict(self.globals["__flags__"]))  # its own copy: `args.wass = True` sets this run's
            return True, ns if attr == "parse_args" else (ns, UNKNOWN)
        if isinstance(obj, Unknown) and attr == "get" and isinstance(a0, str):
            key = f"{obj.key}.{a0}" if obj.key else a0 if obj.config else None
            return True, self.config_value(key) if key else UNKNOWN
        return False, None

    def init_call(self, f: ast.Attribute, node: ast.Call, args: list, kwargs: dict, env: ChainMap) -> Any:
        """super().__init__(...) and Base.__init__(self, ...): the base class's layers join the instance."""
        inst = self.self_obj
        if inst is None:
            return None
        base = None
        if isinstance(f.value, ast.Call) and dotted(f.value.func) == "super":
            base = self.base_of(self.class_stack[-1] if self.class_stack else None)
        else:
            v = self.ev(f.value, env)
            if isinstance(v, UserClass):
                base, args = v, args[1:]
        if base is not None:
            self.run_init(base, inst, args, kwargs)
        return None
