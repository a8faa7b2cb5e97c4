"""Which of a network's weighted layers are its hidden layers, beyond "every one but the last": a conditional
GAN's label layers (`self.exp = nn.Linear(n_classes, 10)`, `nn.Embedding(n_classes, ...)` applied in forward
to the condition argument and concatenated) are inputs, not hidden layers; an ACGAN critic's two heads
(`Linear(f, 1)` beside `Linear(f, n_classes)`, both reading the same features) are both outputs."""
from __future__ import annotations

import ast
import re

from ganlint.reading.astwalk import walk_code
from ganlint.reading.code.facts import Layer, Network

# the names a conditional network's forward gives its condition: forward(self, z, labels) / (self, img, c)
_CONDITION = re.compile(r"^(c|y|cond|conds|condition|conditions|label|labels|lbl|lbls|cls|class_?|classes|"
                        r"class_labels?|onehot|one_hot|\w+_labels?|\w+_onehot|\w+_classes)$", re.I)
# calls that only reshape or move a tensor: `self.exp(c.view(-1, 10))` still applies the layer to c
_SHAPE_OPS = {"view", "reshape", "flatten", "float", "long", "to", "cuda", "squeeze", "unsqueeze", "type",
              "contiguous"}


def condition_params(fn: ast.FunctionDef) -> set[str]:
    """forward's parameters that name a condition, the first input (what the network is called on) excepted."""
    args = [a.arg for a in fn.args.posonlyargs + fn.args.args][1:]
    return {a for a in args[1:] if _CONDITION.match(a)}


def _reads(node: ast.AST, names: set[str]) -> str | None:
    """The condition parameter a layer's argument is, through shape ops: `c`, `labels.view(-1, 10)`."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SHAPE_OPS:
        node = node.func.value
    return node.id if isinstance(node, ast.Name) and node.id in names else None


def condition_layers(net: Network, fn: ast.FunctionDef) -> list[Layer]:
    """The weighted layers forward applies to a condition argument only (`self.exp(c)`, `self.label_emb(labels)`,
    a Sequential on the labels): the condition's own small layers, fed beside the network's input. A layer
    forward also applies to anything else is not one."""
    conds = condition_params(fn)
    if not conds:
        return []
    stacks = {s.attr: s for s in net.stacks}
    on_cond: dict[str, bool] = {}  # self attribute -> applied to a condition only
    for node in walk_code(fn):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self"):
            continue
        if f.attr not in stacks and f.attr not in net.attr_layers:
            continue
        cond = len(node.args) == 1 and not node.keywords and _reads(node.args[0], conds) is not None
        on_cond[f.attr] = on_cond.get(f.attr, True) and cond
    out: list[Layer] = []
    for attr, only in on_cond.items():
        if not only:
            continue
        if attr in stacks:
            out += [l for l in stacks[attr].layers if l.weighted]
        elif net.attr_layers[attr].weighted:
            out.append(net.attr_layers[attr])
    return out


def output_heads(weighted: list[Layer]) -> int:
    """How many of the last weighted layers are output heads: 2 for two heads reading the same features
    (`Linear(f, 1)` and `Linear(f, n_classes)`: the second's input is the first's input, not its output),
    else 1."""
    n = 1
    while n < len(weighted):
        head, before = weighted[-n], weighted[-n - 1]
        if head.in_width is None or head.in_width != before.in_width or head.in_width == before.width:
            break
        n += 1
    if n == 1 and len(weighted) >= 3 and _flat_class_head(weighted[-1], weighted[-2], weighted[-3]):
        n = 2
    return n


def _flat_class_head(head: Layer, score: Layer, body: Layer) -> bool:
    """An ACGAN's class head on the flattened features beside a conv score head: Conv2d(1024, 1, 4) and
    Linear(4*4*1024, 10) both read the body's 1024 channels (a Linear reading the one-channel score map
    flattened would not be as wide as the body's map)."""
    widths = (head.in_width, score.in_width, score.width, body.width)
    if head.kind != "Linear" or not score.kind.startswith("Conv") or not all(isinstance(w, int) for w in widths):
        return False
    return score.width == 1 and score.in_width == body.width > 1 and head.in_width > body.width and \
        head.in_width % body.width == 0


def drop_inputs(net: Network, weighted: list[Layer], conds: list[Layer]) -> list[Layer]:
    """`net`'s widths and kinds without its condition layers; the weighted layers left."""
    ids = {id(l) for l in conds}
    kept = [l for l in weighted if id(l) not in ids]
    if net.layer_widths is not None and kept and len(kept) < len(weighted):
        net.layer_widths = [l.width for l in kept]
        net.layer_kinds = [l.kind for l in kept]
        net.projected_channels = projection_channels(kept)  # Linear(nz + 10, 512*8*8) viewed as 512 channels
    return kept


def projection_channels(weighted: list[Layer]) -> int | None:
    """The in-channels of the first conv after the Linear layers a generator starts with (Linear(nz, 1024),
    Linear(1024, 128*7*7), ConvTranspose2d(128, ...): the last Linear's 6272 units are 128 channels)."""
    n = 0
    while n < len(weighted) and weighted[n].kind == "Linear":
        n += 1
    if n and n < len(weighted) and weighted[n].kind.startswith("Conv"):
        return weighted[n].in_width
    return None


__all__ = ["condition_layers", "condition_params", "drop_inputs", "output_heads", "projection_channels"]
