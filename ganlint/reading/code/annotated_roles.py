"""The role a parameter's type annotation gives the network it holds."""
from __future__ import annotations


def annotated_role(code, var: str | None, text: str) -> str | None:
    """The role of the class a plain parameter `var` is annotated with in the file's text (`def train(net:
    BaseEnergyModel, ...)`), when the file annotates it with one class only; else None."""
    import re

    from ganlint.core.roles import role_from_name

    if not var or not var.isidentifier():
        return None
    found = {m.group(1) for m in re.finditer(
        rf"(?:[(,]\s*|^[ \t]+){re.escape(var)}\s*:\s*([A-Z]\w*(?:\.\w+)*)\s*[,)=\n]", text, re.M)}
    if len(found) != 1:
        return None
    cls = found.pop()
    net = code.network(cls.rsplit(".", 1)[-1])
    return (net.role if net is not None else None) or role_from_name(cls.rsplit(".", 1)[-1])
