"""nn.Module classes and module-level nn.Sequential -> Network facts: stacks, layers, widths, parameter
counts, activations and their positions (syntax tree only).

`__init__` is run by the construction interpreter (construct/) with the arguments of the module's own
call site when there is one, else with its defaults; forward() is traced by network_forward.py."""
from __future__ import annotations

import ast
import re
from typing import Any

from ganlint.reading.code.astutil import Source, dotted, last
from ganlint.reading.code.construct.evaluator import Budget
from ganlint.reading.code.construct.instance import Collector, param_affine, param_count, param_floor
from ganlint.reading.code.construct.layers import ACTIVATIONS, NORMS, TORCH_LAYERS  # noqa: F401 (reader)
from ganlint.reading.code.construct.module import ModuleScope
from ganlint.reading.code.construct.roles import roles_from_use
from ganlint.reading.code.construct.values import (
    ByName, Instance, KeyStr, OptimizerClass, Seq, TorchFunc, UserClass,
)
from ganlint.reading.code.facts import Activation, Layer, Network, Stack, role_from_name
from ganlint.reading.code.network_forward import ForwardMixin
from ganlint.reading.code.network_inputs import condition_layers, drop_inputs, output_heads, projection_channels

_PLAIN = (int, float, str, bool, type(None), tuple)
# what adds modules or weights to a network besides assigning layers to its attributes
REGISTERS = {"Parameter", "ParameterList", "ParameterDict", "register_parameter", "add_module", "register_module",
             "setattr", "__setattr__"}
_REGISTER_WORDS = re.compile("|".join(sorted(REGISTERS)))
# the base channel count of a DCGAN/ResNet-style generator or critic (every layer a multiple of it)
BASE_WIDTH_PARAMS = {"ngf", "ndf", "gf_dim", "df_dim", "g_conv_dim", "d_conv_dim", "nf", "ch", "base_channels"}


def name_role(name: str) -> str | None:
    """role_from_name, plurals included: CoupledGenerators holds generators."""
    role = role_from_name(name)
    if role is None and name.endswith("s") and len(name) > 2:
        role = role_from_name(name[:-1])
    return role


def is_module_base(name: str) -> bool:
    return last(name) in ("Module", "LightningModule")


def _layers(items: list) -> list[Layer]:
    out = []
    for it in items:
        if isinstance(it, Instance):
            it = it.module
        if isinstance(it, Layer):
            out.append(it)
    return out


class NetworkReader(ForwardMixin):
    def __init__(self, src: Source, node: ast.ClassDef, scope: ModuleScope | None = None,
                 site: tuple | None = None):
        self.src = src
        self.scope = scope
        self.site = site  # (args, kwargs, call, caller's scope): a call in another file builds it
        self.node = node
        bases = [dotted(b) or "" for b in node.bases]
        self.net = Network(
            name=node.name,
            role=name_role(node.name),
            location=src.loc(node),
            bases=bases,
            is_module=any(is_module_base(b) for b in bases if b),
        )
        self.byname_attrs: dict[str, Layer] = {}
        self.weighted: list[Layer] = []  # the weighted layers layer_widths lists

    def read(self) -> Network:
        init = fwd = None
        for st in self.node.body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if st.name == "__init__":
                    init = st
                elif st.name == "forward":
                    fwd = st
        if init is not None:
            self.net.own_init = True
            a = init.args
            self.net.params = [x.arg for x in (a.posonlyargs + a.args)[1:]] + [x.arg for x in a.kwonlyargs]
        self._init(init)
        if not self.net.is_module and any("." in b for b in self.net.bases) and (
                any(l.kind in TORCH_LAYERS for st in self.net.stacks for l in st.layers)
                or any(l.kind in TORCH_LAYERS for l in self.net.attr_layers.values())):
            self.net.is_module = True  # a subclass of another package's module class that holds torch layers
        stack_activations(self.net)
        if fwd is not None:
            self._forward(fwd)
            self._input_used()
        else:
            final_of_only_stack(self.net)
        weighted = drop_inputs(self.net, self.weighted, condition_layers(self.net, fwd) if fwd else [])
        self.net.output_layers = output_heads(weighted) if self.net.layer_widths is not None else 1
        return self.net

    def _input_used(self) -> None:
        """The first layer is the input only if forward calls what holds it (a test's dummy
        `self.l1 = nn.Linear(1, 1)` beside a forward returning constants is not)."""
        first = self.net.input_layer
        if first is None:
            return
        holders = {a for a, l in self.net.attr_layers.items() if l is first}
        holders |= {st.attr for st in self.net.stacks if any(l is first for l in st.layers)}
        if not holders:
            return
        # forward's nodes as _forward listed them (one walk of forward, not two); the first use decides
        attribute, name = ast.Attribute, ast.Name
        for n in self.forward_nodes:
            if n.__class__ is attribute and n.attr in holders and n.value.__class__ is name and n.value.id == "self":
                return
        self.net.input_layer = None

    # -- __init__, run by the interpreter ---------------------------------------------------------
    def _init(self, init: ast.FunctionDef | None) -> None:
        scope = self.scope if self.scope is not None else ModuleScope(self.src, ast.Module([], []), "")
        ev = scope.evaluator()
        cls = UserClass(self.node.name, self.node)
        inst = Instance(cls.name)
        inst.methods = ev.methods_of(cls, inst)
        collector = Collector()
        ev.self_obj, ev.on_self = inst, collector.on_self
        ev.init_params = set(self.net.params)
        site = self.site if self.site is not None else scope.call_site(cls.name)
        caller = self.site[3] if self.site is not None else scope
        args, kwargs = (site[0], site[1]) if site is not None else ([], {})
        if site is not None:
            self.net.built_at = caller.src.loc(site[2])
        if init is not None:
            given = set(self.net.params[: len(args)]) | set(kwargs)
            a = init.args
            pos = a.posonlyargs + a.args
            with_default = [p.arg for p in pos[len(pos) - len(a.defaults):]]
            with_default += [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            self.net.assumed_defaults = [p for p in with_default if p not in given and p != "self"]
            pairs = list(zip(pos[len(pos) - len(a.defaults):], a.defaults)) + list(zip(a.kwonlyargs, a.kw_defaults))
            for p, d in pairs:
                if p.arg in BASE_WIDTH_PARAMS and isinstance(d, ast.Constant) and type(d.value) is int \
                        and p.arg not in given:
                    self.net.base_widths[p.arg] = (d.value, self.src.loc(d))
        complete = True
        try:
            ev.run_init(cls, inst, args, kwargs)
        except (Budget, RecursionError):
            complete = False
        self._collect(collector, ev.created, complete)
        if ev.keys_read:
            scope.keys_read[cls.name] = ev.keys_read
        first = self.net.input_layer
        if first is not None and id(first) in ev.in_nodes:
            params: dict[str, ast.AST] = {}
            if site is not None:
                params = dict(zip(self.net.params, site[2].args))
                params.update({k.arg: k.value for k in site[2].keywords if k.arg})
            in_node = ev.in_nodes[id(first)]
            if caller is not scope and isinstance(in_node, ast.Name) and in_node.id in params:
                arg = params[in_node.id]  # the argument, read where the call is: GAN1d(noise_dim=5) writes it there
                literal = isinstance(arg, ast.Constant) and type(arg.value) is int
                where = arg if literal else caller.origin(arg)
                first.in_origin = caller.src.loc(where) if where is not None else None
            else:
                where = scope.origin(in_node, params)
                first.in_origin = self.src.loc(where) if where is not None else None

    def _registers(self) -> bool:
        """__init__ adds modules or weights by other means than assigning them (`self.models.add_module(...)`,
        nn.Parameter): the layers read are not all it holds, their count is not its count."""
        init = next((s for s in self.node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
        if init is None or not _REGISTER_WORDS.search("".join(self.src.lines[init.lineno - 1:init.end_lineno])):
            return False  # none of the words in its text: no walk of its tree
        return any(
            (n.attr if isinstance(n, ast.Attribute) else n.id) in REGISTERS
            for n in ast.walk(init) if isinstance(n, (ast.Attribute, ast.Name)))

    def _collect(self, collector: Collector, created: list[Layer], complete: bool) -> None:
        net = self.net
        for attr, (value, st) in collector.attrs.items():
            node = getattr(st, "value", st)
            if isinstance(value, Seq):
                net.stacks.append(Stack(attr, value.kind, _layers(value), value.location or self.src.loc(node)))
            elif isinstance(value, list) and _layers(value):
                net.stacks.append(Stack(attr, "list", _layers(value), self.src.loc(node)))
            elif isinstance(value, Instance) and isinstance(value.module, Layer):
                net.attr_layers[attr] = value.module
            elif isinstance(value, Layer):
                net.attr_layers[attr] = value
            elif isinstance(value, ByName):
                self.byname_attrs[attr] = Layer(kind="by-name", location=value.location, is_activation=True,
                                                by_name_param=value.param, by_name_key=value.key,
                                                by_name_default=value.default, getattr_location=value.location)
            elif isinstance(value, TorchFunc) and value.name in ("sigmoid", "tanh"):
                net.attr_layers[attr] = Layer(kind=value.name.capitalize(), location=self.src.loc(node),
                                              is_activation=True)
            elif isinstance(value, _PLAIN) and not isinstance(value, KeyStr):
                net.attr_values[attr] = value
            elif isinstance(value, OptimizerClass):  # self.optimizer = RMSprop if wass else Adam, decided
                net.optimizer_attrs[attr] = value.name
        seen = set()
        for l in created:
            if l.kind in NORMS and l.certain and l.location not in seen:
                seen.add(l.location)
                net.norms.append(l)
        if not net.is_module and all(b in ("", "object") for b in net.bases) and self.scope is not None:
            # a trainer object holding its networks: self.D = nn.Sequential(..., nn.Sigmoid())
            for attr, (value, st) in collector.attrs.items():
                if isinstance(value, Seq) and value.kind == "sequential" and role_from_name(attr):
                    self.scope.sequentials.append((f"{net.name}.{attr}", value, st))
        if not complete:
            return
        layers = collector.layers()
        net.param_count = param_count(layers) if layers and not self._registers() else None
        net.param_floor = param_floor(layers) if layers else None
        net.param_affine = param_affine(layers) if layers and net.param_count is None else None
        net.layer_widths = widths_of(layers)
        net.channel_widths = channel_widths(layers)
        net.layer_kinds = [l.kind for l in layers if l.weighted] if net.layer_widths is not None else None
        self.weighted = [l for l in layers if l.weighted]
        net.projected_channels = projection_channels(self.weighted)  # Linear(nz, 1024*4*4) as 1024 channels
        net.input_layer = next((l for l in created if l.weighted), None)  # submodules' layers included


def channel_widths(layers: list[Layer]) -> list[int] | None:
    """Out widths of the weighted layers and the widest channels of each block submodule, in order, for a
    network built of blocks (a ResNet); None without blocks or when one is unknown."""
    if not any(l.block_width for l in layers if not l.weighted):
        return None
    out = []
    for l in layers:
        if l.in_loop or not l.certain:
            return None
        w = l.width if l.weighted else l.block_width if l.kind == "unknown" else 0
        if w is None:
            return None
        if w:
            out.append(w)
    return out


def widths_of(layers: list[Layer]) -> list[int | None] | None:
    """Out widths of the weighted layers in order (None where one is unknown); None when the structure
    itself is not known (a loop over unknown sizes, an undecided condition, an opaque submodule)."""
    if not layers or not all(l.certain and not l.in_loop and l.kind != "unknown" for l in layers):
        return None
    widths = [l.width for l in layers if l.weighted]
    return widths or None


def stack_activations(net: Network) -> None:
    """Sigmoids and by-name activations in the stacks, with their positions (one per source location)."""
    seen: dict[Any, Activation] = {}
    for st in net.stacks:
        for i, layer in enumerate(st.layers):
            if not layer.is_activation or not (layer.kind == "Sigmoid" or layer.kind == "by-name"):
                continue
            after = st.layers[i + 1:]
            if any(l.weighted for l in after):
                pos = "hidden"
            elif layer.in_loop:
                pos = "unknown"  # the loop's last iteration ends the stack, earlier ones do not
            else:
                pos = "final"
            prev = seen.get(layer.location)
            if prev is not None:
                if pos == "hidden":
                    prev.position = "hidden"  # a helper's Sigmoid used inside the stack somewhere
                continue
            act = Activation(
                name="Sigmoid" if layer.kind == "Sigmoid" else "by-name",
                location=layer.location, network=net.name, role=net.role, position=pos,
                via="module" if layer.kind == "Sigmoid" else "by-name",
                by_name_param=layer.by_name_param, by_name_key=layer.by_name_key,
                getattr_location=layer.getattr_location, call_src="",
            )
            seen[layer.location] = act
            net.activations.append(act)


def final_of_only_stack(net: Network) -> None:
    """No forward to read (inherited, elsewhere, or a module-level Sequential): the only stack's last layer
    is the output."""
    if len(net.stacks) != 1 or not net.stacks[0].layers:
        return
    tail = [a for a in net.activations if a.position == "final" and a.name == "Sigmoid"]
    if tail and tail[-1].location == net.stacks[0].layers[-1].location:
        net.final_sigmoid = tail[-1]


def module_networks(scope: ModuleScope, code: Any = None) -> list[Network]:
    """`G = nn.Sequential(...)` / `D = nn.Sequential(..., nn.Sigmoid())` at module level or in main();
    networks (these and the module's classes, `code.networks_all`) whose names say nothing get a role from
    their use. The scope is kept in `code` for link_call_sites."""
    out = _module_sequentials(scope)
    if code is not None:
        code.construction_scopes.append(scope)
    nets = {n.name: n for n in (code.networks_all if code is not None else [])}
    by_var = {v: nets[c] for v, c in scope.var_class.items() if c in nets}
    by_var.update({n.name: n for n in out})
    named = {v: n.role for v, n in by_var.items() if n.role}
    # `D = Descriminator(...)`: a class whose name gives no role, held by a variable whose name does; the
    # network takes the variable's role only when its use confirms it (roles_from_use checks the agreement)
    unnamed = {v for v, n in by_var.items() if n.role is None}
    roles_here = set(named.values()) | {n.role for n in nets.values()}
    # a file whose names already give both players has nothing to learn from use (its feature extractor
    # stays role-less); this keeps the whole-tree walk off the common case
    if unnamed and scope.tree is not None and not {"critic", "generator"} <= roles_here:
        for var, role in roles_from_use(scope.tree, unnamed, named).items():
            net = by_var[var]
            if net.role is None:
                net.role = role
                for a in net.activations:
                    a.role = role
    return out


class _FunctionNetwork(ForwardMixin):
    """A critic written as a function of weight tensors: `def D(X): ...; return F.sigmoid(h @ W + b)`."""

    def __init__(self, src: Source, fn: ast.FunctionDef):
        self.src, self.byname_attrs = src, {}
        self.net = Network(name=fn.name, role="critic", location=src.loc(fn), is_module=True)
        self._forward(fn)


def _function_critics(scope: ModuleScope) -> list[Network]:
    if scope.tree is None:
        return []
    out = []
    for st in scope.tree.body:
        if isinstance(st, ast.FunctionDef) and name_role(st.name) == "critic" and st.args.args:
            net = _FunctionNetwork(scope.src, st).net
            if net.final_sigmoid is not None:
                net.activations = [a for a in net.activations if a is net.final_sigmoid]
                out.append(net)
    return out


def _module_sequentials(scope: ModuleScope) -> list[Network]:
    out = _function_critics(scope)
    for var, seq, st in scope.sequentials:
        layers = _layers(seq)
        if not any(l.weighted for l in layers):
            continue
        net = Network(name=var, role=role_from_name(last(var)), location=scope.src.loc(st), is_module=True)
        net.stacks.append(Stack(var, "sequential", layers, seq.location or scope.src.loc(st.value)))
        net.norms = [l for l in layers if l.kind in NORMS and l.certain]
        net.param_count = param_count(layers)
        net.layer_widths = widths_of(layers)
        net.layer_kinds = [l.kind for l in layers if l.weighted] if net.layer_widths is not None else None
        net.input_layer = first = next((l for l in layers if l.weighted or l.kind == "unknown"), None)
        if first is not None and id(first) in scope.in_nodes:
            where = scope.origin(scope.in_nodes[id(first)])
            first.in_origin = scope.src.loc(where) if where is not None else None
        stack_activations(net)
        final_of_only_stack(net)
        out.append(net)
    return out


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


def read_network(src: Source, node: ast.ClassDef, scope: Any = None) -> Network:
    return NetworkReader(src, node, scope if isinstance(scope, ModuleScope) else None).read()


__all__ = ["NetworkReader", "module_networks", "read_network", "stack_activations"]
