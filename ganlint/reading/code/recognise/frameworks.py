"""Which framework a file's calls belong to: torch under its alias (`import torch as t`), and optimizers of
TensorFlow / Keras / JAX, whose signatures and defaults are not torch.optim's. Cached on the reader, per file."""
from __future__ import annotations

import ast


def torch_names(r) -> tuple[str, ...]:
    """The names the file calls torch's functions by: `torch`, and `t` after `import torch as t`."""
    names = getattr(r, "_torch_names", None)
    if names is None:
        body = r.module_tree.body if r.module_tree is not None else []
        names = ("torch", *{a.asname for st in body if isinstance(st, ast.Import) for a in st.names
                           if a.name == "torch" and a.asname})
        r._torch_names = names
    return names


_OTHER_FRAMEWORKS = ("tensorflow", "tf", "keras", "jax", "flax", "optax")


def other_framework(r, name: str) -> bool:
    """`tf.keras.optimizers.Adam(5e-4)`, or `Adam(...)` in a file that imports TensorFlow / Keras / JAX and not
    torch: not torch.optim's (its first argument is the rate, not the parameters; its defaults are not torch's)."""
    if name.split(".")[0] in _OTHER_FRAMEWORKS or "keras" in name.split("."):
        return True
    if name != name.rsplit(".", 1)[-1]:
        return False  # optim.Adam / torch.optim.Adam
    other = getattr(r, "_other_framework_file", None)
    if other is None:  # the file's top-level imports
        tree = r.module_tree
        tops = {m.split(".")[0] for st in (tree.body if tree is not None else []) for m in (
            [a.name for a in st.names] if isinstance(st, ast.Import) else [st.module or ""] if isinstance(st, ast.ImportFrom) else [])}
        other = r._other_framework_file = bool(tops & set(_OTHER_FRAMEWORKS)) and "torch" not in tops
    return other


def pytorch_file(tree: ast.Module | None) -> bool:
    """Whether the file's training is PyTorch's: it imports torch, or (torch arriving through `from utils
    import *`) imports no TensorFlow/Keras/JAX and calls `.backward()`, which those frameworks do not have."""
    if tree is None or imports_torch(tree):
        return True
    backward = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in ("tensorflow", "keras", "jax", "flax") for m in mods):
                return False
        elif isinstance(node, ast.Attribute) and node.attr == "backward":
            backward = True
    return backward


def imports_torch(tree: ast.Module | None) -> bool:
    # an import is a statement: only statement lists are searched, never the expressions (most of a tree)
    todo = [tree] if tree is not None else []
    for node in todo:  # breadth-first: a module's own imports first
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "torch" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            return True
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if children.__class__ is list:
                todo.extend(children)
    return False
