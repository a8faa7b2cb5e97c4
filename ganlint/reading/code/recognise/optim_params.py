"""An optimizer argument that is a parameter of the function building the optimizer, its value decided by the
calls of that function in the same file:

    class VAETrainer:
        def train(self, num_epochs, lr=1e-3):
            optimizer = optim.Adam(self.model.parameters(), lr=lr)
    ...
    trainer = VAETrainer(model)
    trainer.train(num_epochs=5, lr=1e-3)

The optimizer trains at the 1e-3 the call passes (or at the signature's default when the calls pass none).
Only one number may decide: every call of the method that can be told apart (on an object built from its
class, `self.` inside the class, or by name for a module function) passes the same literal or none (then the
default counts, and must be that number too); a
same-named call on an object of unknown class that could pass it (`model.train(lr=...)`, positionally, or a
splat) makes the value unknown, as do two different sources. Calls in other files are not seen: the file's
own `__main__` call is the run the file describes.
"""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import dotted, literal

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def parameter_of(fn, name: str) -> tuple[int | None, ast.AST | None] | None:
    """(index among the positional parameters, self left out, or None for a keyword-only one; the default
    node or None) when `name` is a parameter of `fn` that the function never rebinds, else None."""
    node = fn.node
    if not isinstance(node, _DEFS) or fn.assigns.get(name):
        return None
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    if fn.cls is not None and positional and not any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list):
        positional = positional[1:]  # self / cls
    found = None
    defaults = dict(zip([p.arg for p in positional[len(positional) - len(a.defaults):]], a.defaults)) if a.defaults else {}
    for i, p in enumerate(positional):
        if p.arg == name:
            found = (i, defaults.get(name))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        if p.arg == name:
            found = (None, d)
    if found is None:
        return None
    for m in walk(node):  # a loop or `with` target, a nested def's assignment: rebound after all
        if isinstance(m, ast.Name) and m.id == name and isinstance(m.ctx, ast.Store):
            return None
    return found


def resolve(r) -> None:
    """Replace each pending parameter argument (r.pending_param_args) by the literal its calls decide."""
    if not r.pending_param_args or r.module_tree is None:
        return
    pending = r.pending_param_args
    calls, built = _calls_by_name(r.module_tree, {p[3].name for p in pending}, {p[3].cls for p in pending} - {None})
    for opt, kw, param, fn, index, default in pending:
        node = _deciding_node(built, calls.get(fn.name, []), fn, param, index, default)
        if node is not None:
            opt.kwargs[kw] = r.src.arg(node)


def _calls_by_name(tree: ast.Module, names: set[str], classes: set[str]):
    """(name -> every call of `name(...)` / `obj.name(...)` in the module with the class it is written in,
    variable -> the classes among `classes` the module builds into it: `trainer = fGANTrainer(...)`)."""
    out: dict[str, list[tuple[ast.Call, str | None]]] = {}
    built: dict[str, set[str]] = {}
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while stack:
        node, cls = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.ClassDef) else cls
            if isinstance(child, ast.Call):
                f = child.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                if name in names:
                    out.setdefault(name, []).append((child, cls))
            elif isinstance(child, ast.Assign) and isinstance(child.value, ast.Call):
                made = _class_called(child.value)
                for t in child.targets:
                    var = dotted(t)
                    if var:
                        built.setdefault(var, set()).add(made if made in classes else "")
            stack.append((child, inner))
    return out, built


def _class_called(call: ast.Call) -> str:
    """`VAETrainer(...)`, `VAETrainer(...).cuda()`: the class name called, else ""."""
    while isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call):
        call = call.func.value
    return (dotted(call.func) or "").rsplit(".", 1)[-1]


def _deciding_node(built, calls, fn, kw: str, index: int | None, default: ast.AST | None) -> ast.AST | None:
    """The literal the calls give parameter `kw` (the first call's when several pass the same number), or
    None when it is not one known number."""
    sources: list[ast.AST] = []
    default_used = False
    known = 0
    for call, written_in in calls:
        mine = _calls_this(built, call, fn, written_in)
        passed = _passed(call, kw, index)
        splat = any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
        if not mine:
            if passed is not None or splat:
                return None  # `model.train(lr=...)` on an object of unknown class: it may be this method
            continue  # `self.model.train()`: nn.Module.train, or this method at its default (counted below)
        known += 1
        if splat:
            return None
        if passed is None:
            default_used = True
            continue
        ok, value = literal(passed)
        if not ok or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None  # `lr=args.lr`, `lr=base * 2`: another reading's (or no constant)
        sources.append(passed)
    if not known:
        return None
    if default_used:
        ok, value = literal(default) if default is not None else (False, None)
        if not ok or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        sources.append(default)
    values = {literal(s)[1] for s in sources}
    return sources[0] if len(values) == 1 else None  # the literal a call writes before the default


def _passed(call: ast.Call, kw: str, index: int | None) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == kw:
            return k.value
    if index is not None and index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[:index + 1]):
        return call.args[index]
    return None


def _calls_this(built, call: ast.Call, fn, written_in: str | None) -> bool:
    """The call runs `fn`: a module function called by its name, or a method called on an object built from
    its class (`trainer = VAETrainer(...)`; `VAETrainer(...).train(...)`), or on `self` inside the class."""
    f = call.func
    if fn.cls is None:
        return isinstance(f, ast.Name) and f.id == fn.name
    if not isinstance(f, ast.Attribute):
        return False
    recv = f.value
    if isinstance(recv, ast.Name) and recv.id == "self":
        return written_in == fn.cls
    if isinstance(recv, ast.Call):
        return _class_called(recv) == fn.cls
    return built.get(dotted(recv) or "") == {fn.cls}  # every assignment of the name builds this class
