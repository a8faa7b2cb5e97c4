"""Networks and roles from what the program does, not from names.

- A network is what an optimizer holds: the module whose parameters are exactly the optimizer's (the
  smallest such module seen in a forward call), else the top-level modules whose parameters it holds
  (an encoder and a decoder under one optimizer), else the raw parameters themselves.
- Data flow is recorded during the first optimizer steps by global forward hooks: a module's input is
  "from module A" when it shares A's output storage (A's output, `.detach()`, `.data`, a view) or when
  A's output is reachable in its autograd graph (`mu + eps * std`); an input with no graph and no
  producer is "external" (a data batch or noise).
- The critic is the network fed external inputs *and* another network's output; the generator is the
  network whose output reaches it. A module returning two same-shaped (B, k) tensors last, as
  (..., mu, logvar), is a VAE's encoder. The network whose outputs reach an InfoNCE cross-entropy is the
  energy / score model. Class names decide only what the data flow leaves open.
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Any

KEEP = 48  # recent module outputs held (strongly, so their storage is not reused and misread as theirs)
BFS_LIMIT = 256


def tensors_in(obj: Any, out: list | None = None, depth: int = 0) -> list:
    import torch

    out = [] if out is None else out
    if isinstance(obj, torch.Tensor):
        out.append(obj)
    elif depth < 3 and isinstance(obj, (list, tuple)):
        for o in obj:
            tensors_in(o, out, depth + 1)
    elif depth < 3 and isinstance(obj, dict):
        for o in obj.values():
            tensors_in(o, out, depth + 1)
    return out


def storage_ptr(t) -> int | None:
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError, AttributeError):
        return None


def mu_logvar_index(output: Any) -> tuple[int, int] | None:
    """Indices of (mu, logvar) in a forward's output: the last two consecutive 2-D tensors of one shape."""
    import torch

    if not isinstance(output, (tuple, list)) or len(output) < 2:
        return None
    for i in range(len(output) - 2, -1, -1):
        a, b = output[i], output[i + 1]
        if (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dim() == 2 and a.shape == b.shape
                and a.shape[0] > 1 and a.is_floating_point()):
            return i, i + 1
    return None


@dataclass
class Edge:
    src: int  # module id
    dst: int
    connected: bool  # the input carried the source's autograd graph (not detached)
    site: tuple[str, int] | None = None  # the user's line of the call


class Flow:
    """What the global forward hooks saw during discovery (modules at depth 0 and 1 of a forward)."""

    def __init__(self, where=None):
        self.where = where or (lambda: None)
        self.depth = 0
        self.modules: dict[int, Any] = {}
        self.min_depth: dict[int, int] = {}
        self.order: list[int] = []
        self.call_site: dict[int, tuple[str, int]] = {}
        self.outs_ptr: OrderedDict[int, tuple[int, Any]] = OrderedDict()
        self.outs_fn: OrderedDict[int, tuple[int, Any]] = OrderedDict()
        self.edges: list[Edge] = []
        self.pending_edges: list[Edge] = []  # since the last optimizer step (phase attribution)
        self.external: dict[int, int] = defaultdict(int)
        self.mu_logvar: dict[int, tuple[int, int]] = {}

    # -- hooks --------------------------------------------------------------------------------
    def pre(self, module, args, kwargs=None) -> None:
        depth = self.depth
        self.depth += 1
        if depth > 1:
            return
        mid = id(module)
        if mid not in self.modules:
            self.modules[mid] = module
            self.order.append(mid)
            site = self.where()
            if site:
                self.call_site[mid] = site
        self.min_depth[mid] = min(depth, self.min_depth.get(mid, depth))
        for x in tensors_in(args) + tensors_in(kwargs or {}):
            srcs = self.sources(x)
            site = self.where() if srcs else None
            for src in srcs - {mid}:
                e = Edge(src, mid, bool(x.requires_grad), site)
                self.edges.append(e)
                self.pending_edges.append(e)
            if not srcs and depth == 0 and x.grad_fn is None and not x.requires_grad:
                self.external[mid] += 1

    def post(self, module, args, output, kwargs=None) -> None:
        self.depth = max(0, self.depth - 1)
        if self.depth > 1:
            return
        mid = id(module)
        for t in tensors_in(output):
            p = storage_ptr(t)
            if p:  # a module and the module wrapping it return the same tensor: both produced it
                self._put(self.outs_ptr, p, t, mid)
            if t.grad_fn is not None:
                self._put(self.outs_fn, id(t.grad_fn), t.grad_fn, mid)
        if self.depth == 0:
            idx = mu_logvar_index(output)
            if idx is not None:
                self.mu_logvar[mid] = idx

    @staticmethod
    def _put(d: OrderedDict, key, ref, mid: int) -> None:
        old = d.get(key)
        # the old entry is held alive, so the same key is the same storage / graph node
        d[key] = ((old[0] | {mid}) if old is not None else {mid}, old[1] if old is not None else ref)
        d.move_to_end(key)
        while len(d) > KEEP:
            d.popitem(last=False)

    def sources(self, x) -> set[int]:
        """The modules whose output x is (shares its storage) or derives from (autograd graph)."""
        p = storage_ptr(x)
        if p and p in self.outs_ptr:
            return set(self.outs_ptr[p][0])
        fn = x.grad_fn
        if fn is None:
            return set()
        seen, todo = set(), [fn]
        while todo and len(seen) < BFS_LIMIT:
            n = todo.pop()
            if n is None or id(n) in seen:
                continue
            seen.add(id(n))
            hit = self.outs_fn.get(id(n))
            if hit is not None:
                return set(hit[0])
            todo.extend(f for f, _ in getattr(n, "next_functions", ()))
        return set()

    def source(self, x) -> int | None:
        s = self.sources(x)
        return min(s, key=lambda m: -self.min_depth.get(m, 0)) if s else None

    def take_phase_edges(self) -> list[Edge]:
        e, self.pending_edges = self.pending_edges, []
        return e


@dataclass
class Net:
    name: str  # role or netN
    role: str | None
    module: Any  # an nn.Module (possibly a ModuleDict of several, or a ParameterList of raw tensors)
    parts: list[Any] = field(default_factory=list)  # the user's own modules (one, or several)
    optimizers: list[Any] = field(default_factory=list)
    cls: str = ""


def net_modules(flow: Flow, params: list) -> list[Any]:
    """The user's modules an optimizer's parameters belong to (see the module docstring)."""
    pid = {id(p) for p in params}
    exact = [flow.modules[m] for m in flow.order
             if (ps := {id(p) for p in flow.modules[m].parameters()}) and ps == pid]
    if exact:
        exact.sort(key=lambda m: flow.min_depth.get(id(m), 9))
        return [exact[0]]
    for depth in (0, 1):
        subset = [flow.modules[m] for m in flow.order if flow.min_depth.get(m) == depth
                  and (ps := {id(p) for p in flow.modules[m].parameters()}) and ps <= pid]
        if subset:
            # drop modules contained in another chosen one
            ids = {id(s) for s in subset}
            return [s for s in subset if not any(id(o) in ids and o is not s and s in list(o.modules())
                                                 for o in subset)]
    return []


NAME_ROLES = (("critic", ("disc", "critic", "netd", "dis")), ("generator", ("gen", "netg")),
              ("encoder", ("enc",)), ("decoder", ("dec",)), ("vae", ("vae", "autoencoder")),
              ("energy", ("energy", "ebm", "score")))


def role_from_name(text: str) -> str | None:
    t = text.lower()
    for role, words in NAME_ROLES:
        if any(w in t for w in words):
            return role
    return None


def assign_roles(nets: list[Net], flow: Flow, infonce_sources: set[int]) -> dict[str, Any]:
    """Sets Net.role in place; returns the evidence {role: why}."""
    owner: dict[int, int] = {}  # module id -> index of the net holding it
    for i, n in enumerate(nets):
        for part in n.parts:
            for m in part.modules():
                owner.setdefault(id(m), i)
    fed_by: dict[int, set[int]] = defaultdict(set)
    for e in flow.edges:
        a, b = owner.get(e.src), owner.get(e.dst)
        if a is not None and b is not None and a != b:
            fed_by[b].add(a)
    external = {owner[m] for m, c in flow.external.items() if c and m in owner}
    why: dict[str, str] = {}
    critics = [i for i in range(len(nets)) if i in external and fed_by.get(i)]
    if len(critics) > 1:  # tie-break by name
        named = [i for i in critics if role_from_name(nets[i].cls) == "critic"]
        critics = named[:1] or critics[:1]
    if critics:
        c = critics[0]
        nets[c].role = "critic"
        why["critic"] = "fed the data batches and another network's output"
        gens = sorted(fed_by[c])
        if len(gens) > 1:
            named = [i for i in gens if role_from_name(nets[i].cls) == "generator"]
            gens = named[:1] or gens[:1]
        nets[gens[0]].role = "generator"
        why["generator"] = "its output reaches the critic"
    for i, n in enumerate(nets):
        if n.role:
            continue
        if any(id(p) in flow.mu_logvar for p in n.parts):
            n.role = "vae"
            why["vae"] = "returns (mu, logvar) and is trained on data batches"
        elif any(id(m) in infonce_sources for p in n.parts for m in p.modules()):
            n.role = "energy"
            why["energy"] = "its outputs become the logits of an InfoNCE cross-entropy"
    if not any(n.role for n in nets):  # the data flow says nothing: names, then a single model
        for n in nets:
            r = role_from_name(n.cls)
            if r and r not in {m.role for m in nets}:
                n.role = r
                why[r] = f"class name {n.cls}"
    if len(nets) == 1 and nets[0].role is None:
        nets[0].role = "model"
    used: set[str] = set()
    for i, n in enumerate(nets):
        name = n.role or f"net{i + 1}"
        while name in used:
            name += "_"
        n.name = name
        used.add(name)
    return why


def mu_logvar_module(net: Net, flow: Flow):
    """(module, (i_mu, i_logvar)) of the VAE's encoder output, when seen."""
    for part in net.parts:
        for m in part.modules():
            if id(m) in flow.mu_logvar:
                return m, flow.mu_logvar[id(m)]
    return None, None


def ends_in_sigmoid(module) -> bool:
    """The module's last leaf is a Sigmoid (a discriminator that outputs probabilities)."""
    import torch.nn as nn

    leaves = [m for m in module.modules() if not list(m.children())]
    return bool(leaves) and isinstance(leaves[-1], nn.Sigmoid)
