"""What the code transforms share: LibCST name helpers, the class-aware visitor, the transform registry."""
from __future__ import annotations

from typing import Any, Callable

import libcst as cst

from ganlint.core.roles import role_from_name

TRANSFORMS: dict[str, Callable[[cst.Module, dict[str, Any]], cst.Module]] = {}


def transform(name: str):
    def deco(fn):
        TRANSFORMS[name] = fn
        return fn

    return deco


# -- small helpers ------------------------------------------------------------------------
def dotted(node) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def call_name(node) -> str | None:
    return dotted(node.func) if isinstance(node, cst.Call) else None


def is_sigmoid_module(node) -> bool:
    """nn.Sigmoid() / torch.nn.Sigmoid() / Sigmoid()."""
    n = call_name(node)
    return bool(n) and n.split(".")[-1] == "Sigmoid"


def is_sigmoid_fn(node) -> bool:
    n = call_name(node)
    return n in ("torch.sigmoid", "F.sigmoid", "torch.nn.functional.sigmoid", "functional.sigmoid", "sigmoid")


def is_sequential(node) -> bool:
    n = call_name(node)
    return bool(n) and n.split(".")[-1] == "Sequential"


def expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


class ClassAware(cst.CSTTransformer):
    def __init__(self):
        super().__init__()
        self.classes: list[str] = []
        self.funcs: list[str] = []

    def visit_ClassDef(self, node):
        self.classes.append(node.name.value)

    def leave_ClassDef(self, original, updated):
        self.classes.pop()
        return updated

    def visit_FunctionDef(self, node):
        self.funcs.append(node.name.value)

    def leave_FunctionDef(self, original, updated):
        self.funcs.pop()
        return updated

    @property
    def cls(self) -> str:
        return self.classes[-1] if self.classes else ""


def leaky(old: cst.Call) -> cst.Call:
    n = call_name(old) or "nn.Sigmoid"
    prefix = n.rsplit(".", 1)[0] + "." if "." in n else ""
    return expr(f"{prefix}LeakyReLU(0.2)")


def in_classes(cls: str, params: dict, role: str | None = None) -> bool:
    """Whether class `cls` is one the edit targets: the `classes` the rule names (from its facts), else,
    with `role`, a class whose name says that role (ganlint.core.roles), else any class."""
    wanted = params.get("classes")
    if wanted:
        return cls in wanted
    role = params.get("role", role)
    return role_from_name(cls) == role if role else True


_INSTANCES: dict[tuple, tuple[cst.Module, frozenset[str]]] = {}  # the last few answers (see instances)


def instances(module: cst.Module, role: str, classes: list[str] | None = None) -> set[str]:
    """Names bound to instances of the role's classes: `D = Discriminator(...)`, `self.critic = ...`.
    A module is immutable and a plan asks this of one module several times (the rule's safety check, its
    transform, the transform weighed against its edits): each answer is kept for the last few modules."""
    key = (id(module), role, tuple(classes or ()))
    hit = _INSTANCES.get(key)
    if hit is not None and hit[0] is module:
        return set(hit[1])
    names = _instances(module, role, classes)
    if len(_INSTANCES) >= 16:
        _INSTANCES.pop(next(iter(_INSTANCES)))
    _INSTANCES[key] = (module, frozenset(names))
    return names


def _instances(module: cst.Module, role: str, classes: list[str] | None = None) -> set[str]:
    names: set[str] = set()

    def is_cls(node) -> bool:
        # D = Discriminator(ngpu).to(device): the construction under the method chain
        while isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Call):
            node = node.func.value
        last = (call_name(node) or "").split(".")[-1]
        if classes:
            return last in classes
        return bool(last[:1].isupper() and role_from_name(last) == role)

    class V(cst.CSTVisitor):
        def visit_Assign(self, node):
            for t in node.targets:
                pairs = [(t.target, node.value)]
                # G, D = Generator(), Discriminator(): element by element
                if isinstance(t.target, cst.Tuple) and isinstance(node.value, cst.Tuple) \
                        and len(t.target.elements) == len(node.value.elements):
                    pairs = [(a.value, b.value) for a, b in zip(t.target.elements, node.value.elements)]
                for target, value in pairs:
                    d = dotted(target)
                    if d and isinstance(value, cst.Call) and is_cls(value):
                        names.add(d)

        def visit_Param(self, node):
            # def d_step(D, real): a parameter whose name says the role is that network
            if role_from_name(node.name.value) == role:
                names.add(node.name.value)

    module.visit(V())
    return names
